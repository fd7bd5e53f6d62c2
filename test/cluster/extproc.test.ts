/**
 * The data plane against the real API server: the ext_proc server watches the configuration Secrets
 * the controller writes, serves a route within moments of its creation, and follows a change to the
 * route and a rotated credential without a restart.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startExtProc, type RunningExtProc } from "../../extproc/main";
import { extProcSettings } from "../../extproc/settings";
import type { ProcessingResponse } from "../../extproc/protocol";
import { componentLogger } from "../../lib/logger";
import { connect, mutationOf, requestBody, requestHeaders } from "../extproc/support/envoy-client";
import { applyYaml, kubectlOk, testNamespace, waitFor } from "./support/kubectl";

/** Polls an asynchronous `check` until it returns a value that is not undefined. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const example = (namespace: string) =>
  readFileSync(join(__dirname, "../../examples/single-provider.yaml"), "utf8").replaceAll(
    "namespace: default",
    `namespace: ${namespace}`,
  );

describe("the ext_proc server, fed by the controller through the API server", () => {
  const namespace = testNamespace("extproc");
  const ns = namespace.name;
  const routeKey = `${ns}/openai`;
  const routeName = `httproute/${ns}/openai/rule/0/match/0/*`;
  let running: RunningExtProc;
  let envoy: ReturnType<typeof connect>;

  beforeAll(async () => {
    running = await startExtProc(
      extProcSettings(["--port", "0", "--metrics-port", "0", "--host", "127.0.0.1"], {}),
      { logger: componentLogger("extproc") },
    );
    envoy = connect(`127.0.0.1:${running.grpcPort}`);
  });

  afterAll(async () => {
    envoy.close();
    await running.stop();
    namespace.cleanup();
  });

  /** The request the server would send upstream for a chat request to `model`. */
  async function upstreamRequest(model: string): Promise<ProcessingResponse> {
    const stream = envoy.open();
    try {
      await stream.send(requestHeaders("/v1/chat/completions", { routeName }));
      return await stream.send(
        requestBody({ model, messages: [{ role: "user", content: "hello" }] }),
      );
    } finally {
      stream.end();
    }
  }

  const generation = () => running.routes.get(routeKey)?.generation;

  it("serves a new route, then follows its change and a rotated API key", async () => {
    expect(applyYaml(example(ns), ns).stderr).not.toContain("denied");
    await waitFor("the server to serve the route", () => (generation() ? true : undefined));

    const first = mutationOf(await upstreamRequest("gpt-4o-mini")).set;
    expect(first).toMatchObject({
      authorization: "Bearer sk-replace-me",
      "x-ai-eg-backend": `${ns}/openai`,
      ":path": "/v1/chat/completions",
    });

    const before = generation()!;
    kubectlOk([
      "patch",
      "aigatewayroute",
      "openai",
      "-n",
      ns,
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/rules/0/matches/0/headers/0/value","value":"gpt-4o"}]',
    ]);
    await waitFor("the changed route", () => (generation()! > before ? true : undefined));
    const changed = await upstreamRequest("gpt-4o");
    expect(mutationOf(changed).set["x-ai-eg-model"]).toBe("gpt-4o");
    const gone = await upstreamRequest("gpt-4o-mini");
    expect(gone.immediate_response?.status?.code).toBe("NotFound");

    kubectlOk(
      ["apply", "-n", ns, "-f", "-"],
      `apiVersion: v1\nkind: Secret\nmetadata: {name: openai-api-key, namespace: ${ns}}\ntype: Opaque\nstringData: {apiKey: sk-rotated}\n`,
    );
    await eventually("the rotated key to be used", async () => {
      const { authorization } = mutationOf(await upstreamRequest("gpt-4o")).set;
      return authorization === "Bearer sk-rotated" ? true : undefined;
    });
  });

  it("stops serving a deleted route", async () => {
    kubectlOk(["delete", "aigatewayroute", "openai", "-n", ns]);
    await waitFor("the route to go", () => (running.routes.get(routeKey) ? undefined : true));
  });
});
