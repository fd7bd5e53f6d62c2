/** Plain manifests for the resolve and status tests, read through a `ManifestSet`. */
import type { Manifest } from "../../resolve/manifest-set";
import type { RouteObject } from "../../resolve/resolved";

export const NS = "default";

export const aiServiceBackend = (name: string): Manifest => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "AIServiceBackend",
  metadata: { name, namespace: NS },
  spec: {
    schema: { name: "OpenAI", version: "v1" },
    backendRef: { name, kind: "Backend", group: "gateway.envoyproxy.io" },
  },
});

export const gatewayBackend = (name: string, conditions?: unknown[]): Manifest => ({
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "Backend",
  metadata: { name, namespace: NS },
  spec: { endpoints: [{ fqdn: { hostname: `${name}.example.com`, port: 443 } }] },
  ...(conditions ? { status: { conditions } } : {}),
});

export const apiKeyPolicy = (name: string, target: string, secretName: string): Manifest => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "BackendSecurityPolicy",
  metadata: { name, namespace: NS },
  spec: {
    targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: target }],
    type: "APIKey",
    apiKey: { secretRef: { name: secretName } },
  },
});

export const secret = (name: string, stringData: Record<string, string>): Manifest => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: NS },
  stringData,
});

/** A backend that resolves: the AIServiceBackend, its Envoy Gateway Backend, no policy. */
export const workingBackend = (name: string): Manifest[] => [
  aiServiceBackend(name),
  gatewayBackend(name),
];

/** A route as stored (defaults applied), one rule per backend name, attached to "my-gateway" unless `parents` is false. */
export const route = (backendNames: string[], parents = true): RouteObject => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "AIGatewayRoute",
  metadata: { name: "openai-route", namespace: NS },
  spec: {
    ...(parents
      ? {
          parentRefs: [{ name: "my-gateway", kind: "Gateway", group: "gateway.networking.k8s.io" }],
        }
      : {}),
    rules: backendNames.map(name => ({
      matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: `model-${name}` }] }],
      modelsOwnedBy: "OpenAI",
      backendRefs: [{ name, weight: 1, priority: 0 }],
    })),
  },
});
