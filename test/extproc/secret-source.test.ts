import { CONFIG_DATA_KEY, CONFIG_LABEL, configSecretName } from "../../contract/route-config";
import { buildConfigSecret } from "../../builders/route-config";
import {
  SecretConfigSource,
  type SecretObject,
  type SecretPhase,
  type SecretWatch,
  type SecretWatchFactory,
  type SecretWatchHandlers,
  type SecretWatchTarget,
} from "../../extproc/config-sources/secret-source";
import { brokenText, documentText, invalidText, routeDocument, setUp } from "./config-support";

const NAMESPACE = "ai-gateway-system";
const PREFIX = "aigw-route";

/** An in-process watch: the test delivers the events a Kubernetes watch would. */
class FakeWatch implements SecretWatch {
  started = false;
  stopped = false;

  constructor(
    readonly target: SecretWatchTarget,
    private readonly handlers: SecretWatchHandlers,
  ) {}

  async start(): Promise<void> {
    this.started = true;
  }

  stop(): void {
    this.stopped = true;
  }

  send(secret: SecretObject, phase: SecretPhase): void {
    this.handlers.event(secret, phase);
  }

  synced(): void {
    this.handlers.synced();
  }

  giveUp(message = "Retry limit (5) exceeded, giving up"): void {
    this.handlers.gaveUp(new Error(message));
  }
}

/** A route's Secret as the controller writes it. */
const secretFor = (name: string, generation = 1): SecretObject =>
  buildConfigSecret(routeDocument(name, generation), {
    configSecretPrefix: PREFIX,
    extProcNamespace: NAMESPACE,
  });

/** The Secret of route `default/<name>` with `text` as its document. */
const secretWithText = (name: string, text: string): SecretObject => ({
  ...secretFor(name),
  data: { [CONFIG_DATA_KEY]: Buffer.from(text).toString("base64") },
});

describe("SecretConfigSource", () => {
  let env: ReturnType<typeof setUp>;
  let watch: FakeWatch | undefined;
  const failures: Error[] = [];

  const factory: SecretWatchFactory = (target, handlers) => {
    watch = new FakeWatch(target, handlers);
    return watch;
  };

  beforeEach(() => {
    env = setUp();
    watch = undefined;
    failures.length = 0;
  });

  afterEach(() => {
    env.close();
    expect(env.lines.join("\n")).not.toContain("CANARY");
    expect(JSON.stringify(env.events)).not.toContain("CANARY");
  });

  const create = () =>
    new SecretConfigSource({
      namespace: NAMESPACE,
      prefix: PREFIX,
      store: env.store,
      watch: factory,
      logger: env.logger,
      onEvent: env.onEvent,
      onFailure: error => failures.push(error),
    });

  /** A started source with `names` listed. */
  const started = async (...names: string[]) => {
    const source = create();
    const starting = source.start();
    await Promise.resolve();
    for (const name of names) watch!.send(secretFor(name), "ADDED");
    watch!.synced();
    await starting;
    return source;
  };

  const generationOf = (name: string) => env.store.get(`default/${name}`)?.generation;

  it("watches the labelled Secrets of its namespace only", async () => {
    await started();
    expect(watch!.target).toEqual({
      namespace: NAMESPACE,
      label: { key: CONFIG_LABEL, value: PREFIX },
    });
    expect(watch!.started).toBe(true);
  });

  it("resolves start only once the initial list is in the store", async () => {
    const source = create();
    let resolved = false;
    const starting = source.start().then(() => (resolved = true));
    await Promise.resolve();
    watch!.send(secretFor("a"), "ADDED");
    watch!.send(secretFor("b", 3), "ADDED");
    await new Promise(resolve => setImmediate(resolve));
    expect(resolved).toBe(false);
    expect(source.ready()).toBe(false);

    watch!.synced();
    await starting;

    expect(env.store.keys().sort()).toEqual(["default/a", "default/b"]);
    expect(generationOf("b")).toBe(3);
    expect(source.ready()).toBe(true);
    expect(source.counts()).toEqual({ loaded: 2, rejected: 0, removed: 0 });
    const secretName = configSecretName(PREFIX, "default", "b");
    expect(env.logged("info")).toContainEqual(
      expect.objectContaining({
        message: "route loaded",
        route: "default/b",
        generation: 3,
        source: `Secret ${NAMESPACE}/${secretName}`,
      }),
    );
  });

  it("follows a modified Secret, and skips one whose document did not change", async () => {
    const source = await started("a", "b");
    watch!.send(secretFor("a", 2), "MODIFIED");
    watch!.send(secretFor("b"), "MODIFIED");
    expect(generationOf("a")).toBe(2);
    expect(source.counts()).toEqual({ loaded: 3, rejected: 0, removed: 0 });
  });

  it.each([
    ["text that is not JSON", brokenText, /^Secret .*: not JSON/],
    ["a document that does not validate", invalidText("a"), /^Secret .*: generation: /],
    [
      "a document for another route than its annotation names",
      documentText("b"),
      /: the document is for route default\/b, not default\/a$/,
    ],
  ])("refuses %s, and the route keeps its last good document", async (_name, text, message) => {
    const source = await started("a");
    watch!.send(secretWithText("a", text), "MODIFIED");

    expect(generationOf("a")).toBe(1);
    expect(env.store.keys()).toEqual(["default/a"]);
    expect(source.counts()).toEqual({ loaded: 1, rejected: 1, removed: 0 });
    expect(env.events.at(-1)).toEqual({
      type: "rejected",
      key: "default/a",
      source: `Secret ${NAMESPACE}/${configSecretName(PREFIX, "default", "a")}`,
      message: expect.stringMatching(message),
    });
    expect(env.logged("error")).toEqual([
      expect.objectContaining({ route: "default/a", error: expect.stringMatching(message) }),
    ]);

    watch!.send(secretFor("a", 5), "MODIFIED");
    expect(generationOf("a")).toBe(5);
  });

  it("refuses a Secret without the document's key", async () => {
    const source = await started();
    watch!.send({ ...secretFor("a"), data: {} }, "ADDED");
    expect(env.store.keys()).toEqual([]);
    expect(source.counts().rejected).toBe(1);
    expect(env.events).toEqual([
      expect.objectContaining({ type: "rejected", message: expect.stringMatching(/route\.json/) }),
    ]);
  });

  it("removes the route a deleted Secret carried, even when its last state has no document", async () => {
    const source = await started("a", "b");
    const name = configSecretName(PREFIX, "default", "a");
    watch!.send({ metadata: { name, namespace: NAMESPACE } }, "DELETED");

    expect(env.store.keys()).toEqual(["default/b"]);
    expect(source.counts()).toEqual({ loaded: 2, rejected: 0, removed: 1 });
    expect(env.logged("info")).toContainEqual(
      expect.objectContaining({ message: "route removed", route: "default/a" }),
    );

    // A Secret the source never loaded removes nothing.
    watch!.send(secretWithText("c", brokenText), "ADDED");
    watch!.send(secretWithText("c", brokenText), "DELETED");
    expect(env.store.keys()).toEqual(["default/b"]);
  });

  it("keeps serving a route whose document was refused until its Secret is deleted", async () => {
    await started("a");
    watch!.send(secretWithText("a", brokenText), "MODIFIED");
    expect(generationOf("a")).toBe(1);
    watch!.send(secretWithText("a", brokenText), "DELETED");
    expect(env.store.keys()).toEqual([]);
  });

  it("ignores Secrets of other namespaces and events without a name", async () => {
    await started();
    const elsewhere = secretFor("a");
    watch!.send({ ...elsewhere, metadata: { ...elsewhere.metadata, namespace: "other" } }, "ADDED");
    watch!.send({ data: secretFor("a").data }, "ADDED");
    expect(env.store.keys()).toEqual([]);
    expect(env.events).toEqual([]);
  });

  it("rejects start when the watch gives up before the initial list", async () => {
    const source = create();
    const starting = source.start();
    await Promise.resolve();
    watch!.giveUp();
    await expect(starting).rejects.toThrow("giving up");
    expect(source.ready()).toBe(false);
    expect(failures).toEqual([]);
  });

  it("reports a watch that gives up later, and keeps serving what it has", async () => {
    const source = await started("a");
    watch!.giveUp();
    expect(failures.map(error => error.message)).toEqual(["Retry limit (5) exceeded, giving up"]);
    expect(source.ready()).toBe(false);
    expect(env.store.keys()).toEqual(["default/a"]);
    expect(env.logged("error")).toContainEqual(
      expect.objectContaining({ error: "Retry limit (5) exceeded, giving up" }),
    );
  });

  it("stops its watch, and ignores what arrives after", async () => {
    const source = await started("a");
    await source.stop();
    expect(watch!.stopped).toBe(true);
    expect(source.ready()).toBe(false);
    watch!.send(secretFor("a", 2), "MODIFIED");
    watch!.send(secretFor("b"), "ADDED");
    expect(generationOf("a")).toBe(1);
    expect(env.store.keys()).toEqual(["default/a"]);
  });

  it("rejects a start that is stopped before the initial list", async () => {
    const source = create();
    const starting = source.start();
    await Promise.resolve();
    await source.stop();
    await expect(starting).rejects.toThrow("stopped");
  });
});
