/** Valid objects the tests start from; each bad input changes one thing. */
export const validBackend = () => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "AIServiceBackend",
  metadata: { name: "openai-backend", namespace: "default" },
  spec: {
    schema: { name: "OpenAI", version: "v1" },
    backendRef: { name: "openai-backend", kind: "Backend", group: "gateway.envoyproxy.io" },
  },
});

export const validPolicy = () => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "BackendSecurityPolicy",
  metadata: { name: "openai-auth", namespace: "default" },
  spec: {
    targetRefs: [
      { group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "openai-backend" },
    ],
    type: "APIKey",
    apiKey: { secretRef: { name: "openai-secret", namespace: "default" } },
  },
});

export const validRoute = () => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "AIGatewayRoute",
  metadata: { name: "openai-route", namespace: "default" },
  spec: {
    parentRefs: [{ name: "my-gateway", kind: "Gateway", group: "gateway.networking.k8s.io" }],
    rules: [
      {
        matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "gpt-4o-mini" }] }],
        modelsOwnedBy: "OpenAI",
        modelsCreatedAt: "2024-01-01T00:00:00Z",
        backendRefs: [{ name: "openai-backend" }, { name: "groq-backend" }],
      },
    ],
  },
});

export const awsPolicy = () => ({
  ...validPolicy(),
  spec: {
    targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "bedrock" }],
    type: "AWSCredentials",
    awsCredentials: {
      region: "us-east-1",
      credentialsFile: { secretRef: { name: "aws-credentials" }, profile: "default" },
    },
  },
});

export const oidc = () => ({
  oidc: {
    provider: { issuer: "https://issuer.example.com" },
    clientID: "gateway",
    clientSecret: { name: "oidc-client" },
  },
});

/** A deep copy of `object` with `change` applied to it. */
export function changed<T>(object: T, change: (copy: T) => void): T {
  const copy = structuredClone(object);
  change(copy);
  return copy;
}
