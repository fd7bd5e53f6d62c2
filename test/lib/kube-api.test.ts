import { createServer, IncomingMessage, Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isNamespaceTerminating,
  KubeApi,
  KubeApiError,
  PATCH,
  resourceUrlPath,
} from "../../lib/kube-api";
import { execPluginKubeconfig, tokenKubeconfig } from "../support/kubeconfig";
import { restoreEnvAfterEach } from "../support/env-restore";
import { tempDirsRemovedAfterEach } from "../support/temp-dirs";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The client's port: one per connection. */
  port: number;
}

/** A stand-in API server that answers from a table and records what it was sent. */
async function fakeApiServer(answer: (seen: Seen) => { status: number; body?: unknown }) {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", chunk => (body += chunk));
    request.on("end", () => {
      const entry = {
        method: request.method!,
        url: request.url!,
        headers: request.headers,
        body,
        port: request.socket.remotePort!,
      };
      seen.push(entry);
      const { status, body: reply } = answer(entry);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(reply === undefined ? "" : JSON.stringify(reply));
    });
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "kube-api-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, tokenKubeconfig(`http://127.0.0.1:${port}`, "test-token"));
  const close = () => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { seen, server, kubeconfig, close };
}

describe("KubeApi", () => {
  let fake: Awaited<ReturnType<typeof fakeApiServer>>;
  let api: KubeApi;
  const previous = process.env.KUBECONFIG;

  beforeAll(async () => {
    fake = await fakeApiServer(({ method, url }) => {
      if (url.startsWith("/api/v1/namespaces/ns/secrets/missing"))
        return { status: 404, body: { kind: "Status", reason: "NotFound", message: "not found" } };
      if (method === "POST" && url.includes("/namespaces/gone/"))
        return {
          status: 403,
          body: {
            kind: "Status",
            reason: "Forbidden",
            message:
              "unable to create new content in namespace gone because it is being terminated",
            details: { causes: [{ type: "NamespaceTerminating", field: "metadata.namespace" }] },
          },
        };
      if (url.startsWith("/apis/example.io/v1/widgets"))
        return { status: 200, body: { items: [{ metadata: { name: "w" } }] } };
      return { status: 200, body: { ok: true } };
    });
    process.env.KUBECONFIG = fake.kubeconfig;
    api = await KubeApi.fromDefaultConfig();
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previous;
    await api?.close();
    fake?.close();
  });

  it("builds the REST path of core and grouped, namespaced and cluster resources", () => {
    expect(resourceUrlPath({ group: "", version: "v1", plural: "secrets", namespace: "a" })).toBe(
      "/api/v1/namespaces/a/secrets",
    );
    expect(
      resourceUrlPath({
        group: "aigateway.envoyproxy.io",
        version: "v1alpha1",
        plural: "aigatewayroutes",
        namespace: "a",
        name: "r",
        subresource: "status",
      }),
    ).toBe("/apis/aigateway.envoyproxy.io/v1alpha1/namespaces/a/aigatewayroutes/r/status");
  });

  it("answers undefined for an object that does not exist", async () => {
    await expect(
      api.get({ group: "", version: "v1", plural: "secrets", namespace: "ns", name: "missing" }),
    ).resolves.toBeUndefined();
  });

  it("lists with a label selector and sends the kubeconfig's token", async () => {
    const items = await api.list(
      { group: "example.io", version: "v1", plural: "widgets" },
      { labelSelector: "a=b", metadataOnly: true },
    );
    expect(items).toEqual([{ metadata: { name: "w" } }]);
    const request = fake.seen.at(-1)!;
    expect(request.url).toBe("/apis/example.io/v1/widgets?labelSelector=a%3Db");
    expect(request.headers.authorization).toBe("Bearer test-token");
    expect(request.headers.accept).toContain("as=PartialObjectMetadataList");
  });

  it("sends a patch with its content type and query", async () => {
    await api.call(
      "PATCH",
      { group: "", version: "v1", plural: "configmaps", namespace: "ns", name: "c" },
      { body: { data: { k: null } }, contentType: PATCH.merge, query: { fieldManager: "m" } },
    );
    const request = fake.seen.at(-1)!;
    expect(request.method).toBe("PATCH");
    expect(request.url).toBe("/api/v1/namespaces/ns/configmaps/c?fieldManager=m");
    expect(request.headers["content-type"]).toBe("application/merge-patch+json");
    expect(JSON.parse(request.body)).toEqual({ data: { k: null } });
  });

  it("fails with the API server's status, message and causes", async () => {
    const failure = await api
      .call("POST", { group: "", version: "v1", plural: "events", namespace: "gone" }, { body: {} })
      .catch((error: KubeApiError) => error);
    expect(failure).toBeInstanceOf(KubeApiError);
    expect(failure).toMatchObject({
      status: 403,
      reason: "Forbidden",
      message: "unable to create new content in namespace gone because it is being terminated",
    });
    expect(isNamespaceTerminating(failure)).toBe(true);
    const during = (failure as KubeApiError).during("record event");
    expect(isNamespaceTerminating(during)).toBe(true);
    expect(during.message).toBe(
      "record event: 403 unable to create new content in namespace gone because it is being terminated",
    );
  });

  it("keeps its connections open and reuses them", async () => {
    const before = fake.seen.length;
    for (let i = 0; i < 10; i++) await api.call("GET", { group: "", version: "v1", plural: "x" });
    // The pool may rotate over the connections it has, but opens none per call.
    expect(new Set(fake.seen.slice(before).map(seen => seen.port)).size).toBeLessThanOrEqual(2);
  });
});

describe("KubeApi with a credential plugin", () => {
  restoreEnvAfterEach("KUBECONFIG");
  const tempDir = tempDirsRemovedAfterEach();
  afterEach(() => jest.useRealTimers());

  it("runs the plugin once at start, and once per refresh for requests that start together", async () => {
    const fake = await fakeApiServer(() => ({ status: 200, body: { items: [] } }));
    const plugin = execPluginKubeconfig(
      tempDir("kube-api-exec-"),
      `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`,
    );
    process.env.KUBECONFIG = plugin.kubeconfig;
    const api = await KubeApi.fromDefaultConfig().catch(error => {
      fake.close();
      throw error;
    });
    try {
      const widgets = { group: "example.io", version: "v1", plural: "widgets" };
      const listThrice = () =>
        Promise.all([api.list(widgets), api.list(widgets), api.list(widgets)]);
      // At start: the headers read while connecting.
      await listThrice();
      expect(plugin.runs()).toBe(1);
      // Past the headers' refresh (only the clock moves): one run for the three.
      jest.useFakeTimers({
        doNotFake: ["nextTick", "setImmediate", "setTimeout", "setInterval", "queueMicrotask"],
        now: Date.now() + 31_000,
      });
      await listThrice();
      expect(plugin.runs()).toBe(2);
      expect(fake.seen.map(({ headers }) => headers.authorization)).toEqual(
        Array(6).fill("Bearer from-plugin"),
      );
    } finally {
      await api.close();
      fake.close();
    }
  });
});
