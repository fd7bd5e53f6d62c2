/** Route documents for the pipeline tests, as the control plane writes them. */
import {
  CONFIG_VERSION,
  type BackendConfig,
  type RouteConfig,
  type RuleConfig,
} from "../../contract/route-config";

export const backend = (id: string, overrides: Partial<BackendConfig> = {}): BackendConfig => ({
  id: `default/${id}`,
  schema: { name: "OpenAI" },
  endpoint: { hostname: `${id}.example.com`, port: 443, tls: true },
  weight: 1,
  priority: 0,
  auth: { type: "APIKey", apiKey: `sk-${id}` },
  ...overrides,
});

export const modelRule = (model: string, backends: BackendConfig[]): RuleConfig => ({
  matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: model }] }],
  backends,
  timeouts: { requestMs: 60_000 },
  modelsOwnedBy: "Example",
  modelsCreatedAt: "2024-01-01T00:00:00Z",
});

export const routeConfig = (
  rules: RuleConfig[],
  overrides: Partial<RouteConfig> = {},
): RouteConfig => ({
  version: CONFIG_VERSION,
  namespace: "default",
  name: "route",
  generation: 1,
  hostnames: [],
  rules,
  llmRequestCosts: [],
  ...overrides,
});

export const ROUTE_KEY = "default/route";

export const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
