/**
 * The manifests a user would write for `ai-gateway run`, pointing at the fake providers: per
 * backend, its Envoy Gateway Backend (the fake's address), its AIServiceBackend, and its
 * BackendSecurityPolicy with a Secret whose values are `${ENV}` references.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { FakeProvider, FakeProviderKind } from "../../support/fake-providers";

type Manifest = Record<string, unknown>;

const meta = (name: string) => ({ name, namespace: "default" });

/** The AIServiceBackend schema of each fake kind. */
const SCHEMAS: Record<FakeProviderKind, { name: string; version?: string }> = {
  openai: { name: "OpenAI", version: "v1" },
  azureopenai: { name: "AzureOpenAI", version: "2024-10-21" },
  awsbedrock: { name: "AWSBedrock" },
  gcpvertexai: { name: "GCPVertexAI" },
  gcpanthropic: { name: "GCPAnthropic", version: "vertex-2023-10-16" },
  anthropic: { name: "Anthropic" },
};

/** Each kind's BackendSecurityPolicy fields and the Secret data they read, as `${ENV}` references. */
function credentialsOf(kind: FakeProviderKind, secret: string, env: string) {
  const ref = { secretRef: { name: secret } };
  switch (kind) {
    case "openai":
      return { policy: { type: "APIKey", apiKey: ref }, data: { apiKey: `\${${env}}` } };
    case "azureopenai":
      return { policy: { type: "AzureAPIKey", azureAPIKey: ref }, data: { apiKey: `\${${env}}` } };
    case "anthropic":
      return {
        policy: { type: "AnthropicAPIKey", anthropicAPIKey: ref },
        data: { apiKey: `\${${env}}` },
      };
    case "awsbedrock":
      return {
        policy: {
          type: "AWSCredentials",
          awsCredentials: { region: "us-east-1", credentialsFile: ref },
        },
        data: {
          credentials: `[default]\naws_access_key_id = \${${env}_ID}\naws_secret_access_key = \${${env}}\n`,
        },
      };
    case "gcpvertexai":
    case "gcpanthropic":
      return {
        policy: {
          type: "GCPCredentials",
          gcpCredentials: {
            projectName: "e2e-project",
            region: "us-central1",
            credentialsFile: ref,
          },
        },
        data: { "service_account.json": `\${${env}}` },
      };
  }
}

/**
 * The objects of one backend named `name`, served by `fake` (or any server speaking its kind's
 * API), its credentials in `${env}`.
 */
export function backendManifests(
  name: string,
  fake: Pick<FakeProvider, "kind" | "host" | "port">,
  env: string,
): Manifest[] {
  const { policy, data } = credentialsOf(fake.kind, name, env);
  return [
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "Backend",
      metadata: meta(name),
      spec: { endpoints: [{ ip: { address: fake.host, port: fake.port } }] },
    },
    {
      apiVersion: "aigateway.envoyproxy.io/v1alpha1",
      kind: "AIServiceBackend",
      metadata: meta(name),
      spec: {
        schema: SCHEMAS[fake.kind],
        backendRef: { name, kind: "Backend", group: "gateway.envoyproxy.io" },
      },
    },
    { apiVersion: "v1", kind: "Secret", metadata: meta(name), type: "Opaque", stringData: data },
    {
      apiVersion: "aigateway.envoyproxy.io/v1alpha1",
      kind: "BackendSecurityPolicy",
      metadata: meta(name),
      spec: {
        targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name }],
        ...policy,
      },
    },
  ];
}

export interface RouteRule {
  /** The model name, or with `pattern`, a regular expression on it. */
  model: string;
  pattern?: boolean;
  /** The rule's `modelsOwnedBy`; "E2E" by default. */
  owner?: string;
  backends: Array<{ name: string; priority?: number; modelNameOverride?: string }>;
  timeouts?: { request?: string; backendRequest?: string };
}

/** An AIGatewayRoute with a rule per model. */
export function routeManifest(name: string, rules: RouteRule[], extra: object = {}): Manifest {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1alpha1",
    kind: "AIGatewayRoute",
    metadata: meta(name),
    spec: {
      rules: rules.map(rule => ({
        matches: [
          {
            headers: [
              {
                type: rule.pattern ? "RegularExpression" : "Exact",
                name: "x-ai-eg-model",
                value: rule.model,
              },
            ],
          },
        ],
        modelsOwnedBy: rule.owner ?? "E2E",
        backendRefs: rule.backends.map(backend => ({ priority: 0, ...backend })),
        ...(rule.timeouts ? { timeouts: rule.timeouts } : {}),
      })),
      ...extra,
    },
  };
}

/** YAML text of several documents. */
export const yamlOf = (manifests: Manifest[]) =>
  manifests.map(manifest => stringify(manifest, { lineWidth: 0 })).join("---\n");

/** A new temporary folder with `files` (name → manifests) written into it. */
export function manifestFolder(files: Record<string, Manifest[]>): string {
  const dir = mkdtempSync(join(tmpdir(), "aigw-run-"));
  for (const [name, manifests] of Object.entries(files)) {
    writeFileSync(join(dir, name), yamlOf(manifests));
  }
  return dir;
}
