/**
 * The data plane as it runs, on loopback: the ext_proc server over the request pipeline, the proxy
 * that plays Envoy in front of it, and builders for backends that point at the fake providers with
 * each provider's real kind of credentials.
 */
import { modelRule as pipelineModelRule, routeConfig } from "../../pipeline/fixtures";
import OpenAI from "openai";
import { BackendAuthRegistry } from "../../../auth/registry";
import type { BackendConfig, RouteConfig, RuleConfig } from "../../../contract/route-config";
import { ExtProcServer } from "../../../extproc/server";
import { rootLogger } from "../../../lib/logger";
import { BackendHealth } from "../../../pipeline/backend-health";
import { Gateway } from "../../../pipeline/gateway";
import type { RequestObserver } from "../../../pipeline/observer";
import { RouteStore } from "../../../pipeline/route-store";
import { UpstreamClient } from "../../../pipeline/upstream-client";
import type { FakeProvider } from "../../support/fake-providers";
import { EnvoyProxy, type EnvoyProxyOptions } from "./envoy-proxy";

export type Summary = Parameters<RequestObserver["finished"]>[0];

/** The key the client sends the gateway: it must never reach a provider. */
export const CLIENT_API_KEY = "sk-client-own-key-must-not-travel";

export interface Stack {
  proxy: EnvoyProxy;
  routes: RouteStore;
  auth: BackendAuthRegistry;
  gateway: Gateway;
  /** Every request's summary, as the observer got it. */
  finished: Summary[];
  /**
   * Serves `route`, gives the proxy a rule per backend (its endpoint), and waits until every
   * backend's credentials are ready (token fetches done).
   */
  load(route: RouteConfig): Promise<void>;
  /** An OpenAI SDK client pointed at the proxy; no retries, so each call is one request. */
  client(apiKey?: string): OpenAI;
  close(): Promise<void>;
}

export async function startStack(
  options: {
    proxy?: Partial<
      Pick<
        EnvoyProxyOptions,
        | "requestTimeoutMs"
        | "messageTimeoutMs"
        | "requestBufferLimitBytes"
        | "requestBufferFilter"
        | "responseBufferLimitBytes"
      >
    >;
    coolDownMs?: number;
  } = {},
): Promise<Stack> {
  const auth = new BackendAuthRegistry();
  const routes = new RouteStore(auth);
  const health = new BackendHealth({ coolDownMs: options.coolDownMs ?? 10_000 });
  const gateway = new Gateway({ routes, auth, health, random: () => 0 });
  const upstream = new UpstreamClient({ connectTimeoutMs: 2_000 });
  const finished: Summary[] = [];
  const server = new ExtProcServer({
    gateway,
    upstream,
    logger: rootLogger,
    observer: { finished: summary => finished.push(summary) },
  });
  const [port] = await server.listen(["127.0.0.1:0"]);
  server.setServing(true);
  const proxy = await EnvoyProxy.start({
    extProcAddress: `127.0.0.1:${port}`,
    backends: {},
    ...options.proxy,
  });
  return {
    proxy,
    routes,
    auth,
    gateway,
    finished,
    async load(route) {
      routes.load(route, "e2e");
      const backends = route.rules.flatMap(rule => rule.backends);
      proxy.backends = Object.fromEntries(
        backends.flatMap(backend =>
          backend.endpoint
            ? [
                [
                  backend.id,
                  `${backend.endpoint.tls ? "https" : "http"}://${backend.endpoint.hostname}:${backend.endpoint.port}`,
                ],
              ]
            : [],
        ),
      );
      await Promise.all(
        backends.flatMap(backend => (backend.auth ? [auth.update(backend.id, backend.auth)] : [])),
      );
    },
    client: (apiKey = CLIENT_API_KEY) =>
      new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 }),
    async close() {
      await proxy.close();
      await server.shutdown(500);
      await upstream.close();
      auth.close();
    },
  };
}

const endpointOf = (fake: FakeProvider) => ({ hostname: fake.host, port: fake.port, tls: false });

const base = (id: string, fake: FakeProvider) => ({
  id: `default/${id}`,
  endpoint: endpointOf(fake),
  weight: 1,
  priority: 0,
});

/** Backend builders, one per provider kind, with the credentials that kind takes. */
export const backends = {
  openai: (id: string, fake: FakeProvider, apiKey: string): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "OpenAI" },
    auth: { type: "APIKey", apiKey },
  }),
  azure: (id: string, fake: FakeProvider, apiKey: string): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "AzureOpenAI", version: "2024-10-21" },
    auth: { type: "AzureAPIKey", apiKey },
  }),
  bedrock: (
    id: string,
    fake: FakeProvider,
    aws: { accessKeyId: string; secretAccessKey: string },
  ): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "AWSBedrock" },
    modelNameOverride: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    auth: {
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: {
        content: `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\n`,
        profile: "default",
      },
    },
  }),
  vertex: (
    id: string,
    fake: FakeProvider,
    google: { serviceAccountJSON: string; tokenURL: string },
  ): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "GCPVertexAI" },
    modelNameOverride: "gemini-2.0-flash",
    auth: gcpAuth(google),
  }),
  gcpAnthropic: (
    id: string,
    fake: FakeProvider,
    google: { serviceAccountJSON: string; tokenURL: string },
  ): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "GCPAnthropic", version: "vertex-2023-10-16" },
    modelNameOverride: "claude-3-5-sonnet@20240620",
    auth: gcpAuth(google),
  }),
  anthropic: (id: string, fake: FakeProvider, apiKey: string): BackendConfig => ({
    ...base(id, fake),
    schema: { name: "Anthropic" },
    auth: { type: "AnthropicAPIKey", apiKey },
  }),
};

function gcpAuth(google: { serviceAccountJSON: string; tokenURL: string }) {
  return {
    type: "GCPCredentials" as const,
    projectName: "e2e-project",
    region: "us-central1",
    credentialsFile: { content: google.serviceAccountJSON },
    endpoints: { oauthTokenURL: google.tokenURL },
  };
}

/** A rule for `model`, listed in `/v1/models` as owned by "E2E". */
export const modelRule = (model: string, ruleBackends: BackendConfig[]): RuleConfig => ({
  ...pipelineModelRule(model, ruleBackends),
  modelsOwnedBy: "E2E",
  modelsCreatedAt: "2025-01-01T00:00:00Z",
});

export { routeConfig };
