import type { AIServiceBackendSpec } from "../../api/v1alpha1";
import { Manifest, ManifestSet } from "../../resolve/manifest-set";
import { gatewayBackendProblem, resolveBackend } from "../../resolve/route";
import {
  aiServiceBackend,
  apiKeyPolicy,
  gatewayBackend,
  NS,
  secret,
  workingBackend,
} from "./manifests";

const rejected = [
  { type: "Accepted", status: "False", reason: "Invalid", message: "hostname is an IP address" },
];

const awsPolicy: Manifest = {
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "BackendSecurityPolicy",
  metadata: { name: "openai-aws", namespace: NS },
  spec: {
    targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "openai" }],
    type: "AWSCredentials",
    awsCredentials: {
      region: "us-east-1",
      credentialsFile: { secretRef: { name: "aws-credentials" }, profile: "default" },
    },
  },
};

describe("resolveBackend", () => {
  it.each([
    {
      name: "the AIServiceBackend does not exist",
      manifests: [gatewayBackend("openai")],
      reason: "BackendNotFound",
      message: 'AIServiceBackend "openai" not found in namespace "default"',
    },
    {
      name: "its Envoy Gateway Backend does not exist",
      manifests: [aiServiceBackend("openai")],
      reason: "BackendNotFound",
      message:
        'AIServiceBackend "default/openai": Backend "openai" not found in namespace "default"',
    },
    {
      name: "Envoy Gateway rejected its Backend",
      manifests: [aiServiceBackend("openai"), gatewayBackend("openai", rejected)],
      reason: "BackendNotAccepted",
      message:
        'AIServiceBackend "default/openai": Envoy Gateway did not accept Backend "default/openai" (Invalid: hostname is an IP address)',
    },
    {
      name: "two BackendSecurityPolicies target it",
      manifests: [
        ...workingBackend("openai"),
        apiKeyPolicy("openai-key", "openai", "openai-secret"),
        apiKeyPolicy("openai-other-key", "openai", "openai-secret"),
        secret("openai-secret", { apiKey: "sk-test" }),
      ],
      reason: "ConflictingPolicies",
      message:
        'AIServiceBackend "default/openai" is targeted by 2 BackendSecurityPolicies ("openai-key", "openai-other-key"): keep one',
    },
    {
      name: "its policy's Secret does not exist",
      manifests: [
        ...workingBackend("openai"),
        apiKeyPolicy("openai-key", "openai", "openai-secret"),
      ],
      reason: "SecretNotFound",
      message:
        'AIServiceBackend "default/openai": BackendSecurityPolicy "openai-key": Secret "openai-secret" not found in namespace "default"',
    },
    {
      name: "its policy's Secret lacks the API key",
      manifests: [
        ...workingBackend("openai"),
        apiKeyPolicy("openai-key", "openai", "openai-secret"),
        secret("openai-secret", { "api-key": "sk-test" }),
      ],
      reason: "SecretKeyMissing",
      message:
        'AIServiceBackend "default/openai": BackendSecurityPolicy "openai-key": Secret "openai-secret" in namespace "default" has no key "apiKey"',
    },
    {
      name: "its AWS policy's Secret lacks the credentials file",
      manifests: [
        ...workingBackend("openai"),
        awsPolicy,
        secret("aws-credentials", { config: "[default]" }),
      ],
      reason: "SecretKeyMissing",
      message:
        'AIServiceBackend "default/openai": BackendSecurityPolicy "openai-aws": Secret "aws-credentials" in namespace "default" has no key "credentials"',
    },
  ])("$reason when $name", ({ manifests, reason, message }) => {
    const resolved = resolveBackend(new ManifestSet(manifests), "default/openai");
    expect(resolved.problem).toEqual({ reason, message });
    expect(resolved.auth).toBeUndefined();
  });

  it("resolves the endpoint and the credentials when nothing is missing", () => {
    const view = new ManifestSet([
      ...workingBackend("openai"),
      apiKeyPolicy("openai-key", "openai", "openai-secret"),
      secret("openai-secret", { apiKey: "sk-test" }),
    ]);
    expect(resolveBackend(view, "default/openai")).toMatchObject({
      id: "default/openai",
      endpoint: { hostname: "openai.example.com", port: 443, tls: true },
      auth: { type: "APIKey", apiKey: "sk-test" },
    });
    expect(resolveBackend(view, "default/openai").problem).toBeUndefined();
  });

  it("resolves an Azure policy on the pod's own identity, with no Secret to read", () => {
    const policy = (clientID?: string): Manifest => ({
      ...awsPolicy,
      metadata: { name: "openai-azure", namespace: NS },
      spec: {
        targetRefs: [
          { group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "openai" },
        ],
        type: "AzureCredentials",
        azureCredentials: { tenantID: "tenant", useManagedIdentity: true, clientID },
      },
    });
    const resolved = (clientID?: string) =>
      resolveBackend(
        new ManifestSet([...workingBackend("openai"), policy(clientID)]),
        "default/openai",
      );
    expect(resolved().auth).toEqual({
      type: "AzureCredentials",
      tenantID: "tenant",
      useManagedIdentity: true,
    });
    expect(resolved("user-assigned").auth).toEqual({
      type: "AzureCredentials",
      clientID: "user-assigned",
      tenantID: "tenant",
      useManagedIdentity: true,
    });
    expect(resolved().problem).toBeUndefined();
  });
});

describe("gatewayBackendProblem", () => {
  const spec = (namespace?: string): AIServiceBackendSpec => ({
    schema: { name: "OpenAI", version: "v1" },
    backendRef: {
      name: "openai",
      kind: "Backend",
      group: "gateway.envoyproxy.io",
      ...(namespace ? { namespace } : {}),
    },
  });

  it.each([
    {
      name: "a Backend missing from the AIServiceBackend's namespace",
      manifests: [],
      spec: spec(),
      problem: {
        reason: "BackendNotFound",
        message:
          'AIServiceBackend "default/openai": Backend "openai" not found in namespace "default"',
      },
    },
    {
      name: "a Backend missing from the namespace the backendRef names",
      manifests: [gatewayBackend("openai")],
      spec: spec("providers"),
      problem: {
        reason: "BackendNotFound",
        message:
          'AIServiceBackend "default/openai": Backend "openai" not found in namespace "providers"',
      },
    },
    {
      name: "a rejected Backend",
      manifests: [gatewayBackend("openai", rejected)],
      spec: spec(),
      problem: {
        reason: "BackendNotAccepted",
        message:
          'AIServiceBackend "default/openai": Envoy Gateway did not accept Backend "default/openai" (Invalid: hostname is an IP address)',
      },
    },
    {
      name: "an accepted Backend",
      manifests: [gatewayBackend("openai", [{ type: "Accepted", status: "True" }])],
      spec: spec(),
      problem: undefined,
    },
  ])("$name", ({ manifests, spec, problem }) => {
    expect(gatewayBackendProblem(new ManifestSet(manifests), NS, "openai", spec)).toEqual(problem);
  });
});
