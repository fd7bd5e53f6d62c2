import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeSecretWatch } from "../../extproc/config-sources/kube-secret-watch";
import type { SecretObject, SecretPhase } from "../../extproc/config-sources/secret-source";
import { KubeApi } from "../../lib/kube-api";
import { tokenKubeconfig } from "../support/kubeconfig";
import { waitFor } from "./config-support";
import { restoreEnvAfterEach } from "../support/env-restore";

const NAMESPACE = "ai-gateway-system";
const LABEL = { key: "aigateway.envoyproxy.io/config", value: "aigw-route" };
const SECRETS = `/api/v1/namespaces/${NAMESPACE}/secrets`;

const secret = (name: string, resourceVersion: string, text = name): SecretObject => ({
  metadata: { name, namespace: NAMESPACE, resourceVersion } as SecretObject["metadata"],
  data: { "route.json": Buffer.from(text).toString("base64") },
});

interface Seen {
  url: URL;
  headers: IncomingMessage["headers"];
  /** When it arrived (ms). */
  at: number;
}

/**
 * A stand-in API server: LISTs answer from `lists` in turn (the last one repeats); each WATCH
 * streams the next entry of `watches` as newline-delimited JSON, then stays open (`hold`) or ends.
 */
async function fakeApiServer(script: {
  lists: { resourceVersion: string; items: SecretObject[] }[];
  watches: { events: object[]; hold: boolean }[];
  failAll?: boolean;
  /** Accept every WATCH, then drop its connection, as a proxy that cuts long requests does. */
  dropWatches?: boolean;
  /**
   * Answer every WATCH with this status and these lines of JSON (LISTs still answer), as an API
   * server whose RBAC omits `watch` does, or one that ends each watch with an error.
   */
  refuseWatchesWith?: { status: number; lines: object[] };
}) {
  const seen: Seen[] = [];
  const held: ServerResponse[] = [];
  let lists = 0;
  let watches = 0;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url!, "http://fake");
    seen.push({ url, headers: request.headers, at: performance.now() });
    const isWatch = url.searchParams.get("watch") === "1";
    if (script.failAll || url.pathname !== SECRETS) {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ kind: "Status", message: "etcd is down" }));
      return;
    }
    if (script.dropWatches && isWatch) {
      response.writeHead(200, { "content-type": "application/json" });
      response.write(
        `${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "10" } } })}\n`,
      );
      setTimeout(() => response.destroy(), 5);
      return;
    }
    if (script.refuseWatchesWith && isWatch) {
      const { status, lines } = script.refuseWatchesWith;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(lines.map(line => `${JSON.stringify(line)}\n`).join(""));
      return;
    }
    if (!isWatch) {
      const list = script.lists[Math.min(lists++, script.lists.length - 1)];
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          kind: "SecretList",
          metadata: { resourceVersion: list.resourceVersion },
          items: list.items,
        }),
      );
      return;
    }
    const watch = script.watches[watches++] ?? { events: [], hold: true };
    response.writeHead(200, { "content-type": "application/json" });
    // One event split across two writes, as a network chunk may split it.
    for (const event of watch.events) {
      const line = `${JSON.stringify(event)}\n`;
      response.write(line.slice(0, 7));
      response.write(line.slice(7));
    }
    if (watch.hold) held.push(response);
    else response.end();
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "kube-secret-watch-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, tokenKubeconfig(`http://127.0.0.1:${port}`, "test-token"));
  return {
    seen,
    kubeconfig,
    async close() {
      for (const response of held) response.destroy();
      await new Promise(resolve => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records what the watch reports, and waits for a number of `synced` calls. */
function recorder() {
  const events: [SecretPhase, string, string][] = [];
  const gaveUp: Error[] = [];
  let synced = 0;
  const waiters: { count: number; resolve(): void }[] = [];
  return {
    events,
    gaveUp,
    synced: () => synced,
    handlers: {
      event(object: SecretObject, phase: SecretPhase) {
        const text = object.data ? Buffer.from(object.data["route.json"], "base64").toString() : "";
        events.push([phase, object.metadata?.name ?? "", text]);
      },
      synced() {
        synced++;
        for (const waiter of waiters.filter(waiter => waiter.count <= synced)) waiter.resolve();
      },
      gaveUp(error: Error) {
        gaveUp.push(error);
      },
    },
    untilSynced: (count: number) =>
      new Promise<void>(resolve => {
        if (synced >= count) resolve();
        else waiters.push({ count, resolve });
      }),
  };
}

describe("kubeSecretWatch", () => {
  restoreEnvAfterEach("KUBECONFIG");
  let fake: Awaited<ReturnType<typeof fakeApiServer>> | undefined;
  let api: KubeApi | undefined;

  afterEach(async () => {
    await api?.close();
    await fake?.close();
    api = undefined;
    fake = undefined;
  });

  async function connect(script: Parameters<typeof fakeApiServer>[0]) {
    fake = await fakeApiServer(script);
    process.env.KUBECONFIG = fake.kubeconfig;
    api = await KubeApi.fromDefaultConfig();
    const connected = api;
    return () => Promise.resolve(connected);
  }

  it("lists, watches, relists after a 410 and reports what was deleted meanwhile", async () => {
    const client = await connect({
      lists: [
        { resourceVersion: "10", items: [secret("a", "5"), secret("b", "6"), secret("e", "7")] },
        {
          resourceVersion: "30",
          items: [secret("b", "21", "b2"), secret("c", "22"), secret("e", "7")],
        },
      ],
      watches: [
        {
          events: [
            { type: "MODIFIED", object: secret("a", "11", "a2") },
            { type: "BOOKMARK", object: { metadata: { resourceVersion: "12" } } },
            { type: "ERROR", object: { kind: "Status", code: 410, message: "too old" } },
          ],
          hold: false,
        },
        { events: [{ type: "ADDED", object: secret("d", "31", "d ✓") }], hold: true },
      ],
    });
    const seen = recorder();
    const watch = kubeSecretWatch({ api: client })(
      { namespace: NAMESPACE, label: LABEL },
      seen.handlers,
    );
    await watch.start();
    await seen.untilSynced(2);
    await waitFor(() => seen.events.some(([, name]) => name === "d"), "the second watch's event");
    watch.stop();

    expect(seen.events).toEqual([
      ["ADDED", "a", "a"],
      ["ADDED", "b", "b"],
      ["ADDED", "e", "e"],
      ["MODIFIED", "a", "a2"],
      // The relist: b changed, c is new, a was deleted while the watch could not see it, and e,
      // unchanged (same resourceVersion), is not reported again.
      ["MODIFIED", "b", "b2"],
      ["ADDED", "c", "c"],
      ["DELETED", "a", ""],
      ["ADDED", "d", "d ✓"],
    ]);
    expect(seen.synced()).toBe(2);
    expect(seen.gaveUp).toEqual([]);

    const requests = fake!.seen.map(({ url }) => ({
      watch: url.searchParams.get("watch"),
      resourceVersion: url.searchParams.get("resourceVersion"),
      labelSelector: url.searchParams.get("labelSelector"),
    }));
    const selector = `${LABEL.key}=${LABEL.value}`;
    expect(requests).toEqual([
      { watch: null, resourceVersion: null, labelSelector: selector },
      { watch: "1", resourceVersion: "10", labelSelector: selector },
      { watch: null, resourceVersion: null, labelSelector: selector },
      { watch: "1", resourceVersion: "30", labelSelector: selector },
    ]);
    for (const { headers } of fake!.seen) {
      expect(headers.authorization).toBe("Bearer test-token");
      // Whole Secrets: the document is in their data.
      expect(headers.accept).toBe("application/json");
    }
  });

  it("retries a failing API server with back-off, then gives up", async () => {
    const client = await connect({ lists: [], watches: [], failAll: true });
    const seen = recorder();
    const maxDelayMs = 30;
    const watch = kubeSecretWatch({ api: client, maxFailures: 3, maxDelayMs })(
      { namespace: NAMESPACE, label: LABEL },
      seen.handlers,
    );
    await watch.start();
    await waitFor(() => seen.gaveUp.length > 0, "the watch to give up");
    watch.stop();
    expect(fake!.seen).toHaveLength(3);
    // It waited between attempts (the back-off, capped at maxDelayMs here); timers may fire up
    // to a millisecond early.
    const [first, second, third] = fake!.seen.map(({ at }) => at);
    expect(second - first).toBeGreaterThanOrEqual(maxDelayMs - 1);
    expect(third - second).toBeGreaterThanOrEqual(maxDelayMs - 1);
    expect(seen.gaveUp.map(error => error.message)).toEqual([
      "the watch failed 3 times in a row: etcd is down",
    ]);
    expect(seen.synced()).toBe(0);
  });

  const watchRequests = () => fake!.seen.filter(({ url }) => url.searchParams.get("watch")).length;

  /** A watch of one listed Secret, each WATCH answered as `watches` says; started. */
  async function watchOneSecret(watches: Parameters<typeof fakeApiServer>[0], maxFailures: number) {
    const client = await connect(watches);
    const seen = recorder();
    const watch = kubeSecretWatch({ api: client, maxFailures, maxDelayMs: 5 })(
      { namespace: NAMESPACE, label: LABEL },
      seen.handlers,
    );
    await watch.start();
    return { seen, watch };
  }

  const oneSecret = { lists: [{ resourceVersion: "10", items: [secret("a", "5")] }], watches: [] };
  const refusedWith = (status: number, lines: object[]) => ({
    ...oneSecret,
    refuseWatchesWith: { status, lines },
  });

  it.each([
    [
      "the API server refuses, even while it still lists",
      refusedWith(500, [{ kind: "Status", message: "etcd is down" }]),
      "etcd is down",
    ],
    [
      "ends with an error event",
      refusedWith(200, [
        { type: "ERROR", object: { kind: "Status", code: 500, message: "internal error" } },
      ]),
      "internal error",
    ],
    [
      "ends at once, without an event",
      refusedWith(200, []),
      "the API server ended the watch at once, without an event",
    ],
  ])("gives up on a watch that %s", async (_what, script, error) => {
    const { seen, watch } = await watchOneSecret(script, 3);
    await waitFor(() => seen.gaveUp.length > 0, "the watch to give up");
    watch.stop();
    expect(watchRequests()).toBe(3);
    expect(seen.gaveUp.map(gaveUp => gaveUp.message)).toEqual([
      `the watch failed 3 times in a row: ${error}`,
    ]);
  });

  const tooLarge = {
    kind: "Status",
    status: "Failure",
    message: "Too large resource version: 10, current: 9",
    reason: "Timeout",
    details: {
      causes: [{ type: "ResourceVersionTooLarge", message: "Too large resource version" }],
    },
    code: 504,
  };

  it.each([
    [
      "whose cache is behind the list, told in an ERROR event",
      refusedWith(200, [{ type: "ERROR", object: tooLarge }]),
    ],
    ["whose cache is behind the list, told as the answer", refusedWith(504, [tooLarge])],
    ["that accepts each watch and the network drops", { ...oneSecret, dropWatches: true }],
  ])("keeps watching an API server %s", async (_what, script) => {
    const { seen, watch } = await watchOneSecret(script, 2);
    await waitFor(() => watchRequests() >= 5, "five watches", 5_000);
    watch.stop();
    expect(seen.gaveUp).toEqual([]);
  });
});
