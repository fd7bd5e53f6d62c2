/**
 * What `ai-gateway run` serves when no file is given: a route with a rule per provider whose
 * credentials are in the environment, written as the manifests a user would write (so it goes
 * through the same validation and resolution), or a local Ollama when none is. Credentials stay in
 * the environment: the Secrets refer to them with `${NAME}`, filled in when the manifests load.
 */
import { readFileSync } from "node:fs";
import type { Manifest } from "../resolve/manifest-set";
import type { SourcedManifest } from "../resolve/manifest-routes";

/** The source every default manifest names in messages. */
export const DEFAULT_SOURCE = "the built-in default configuration";

type Env = Record<string, string | undefined>;

const BACKEND_API = { group: "gateway.envoyproxy.io", kind: "Backend" };
const NAMESPACE = "default";

interface Provider {
  name: string;
  /** The models this provider's rule takes, as a regular expression on the model name. */
  models: string;
  owner: string;
  schema: { name: string; version?: string };
  endpoint: { hostname: string; port: number; tls: boolean };
  /** The BackendSecurityPolicy's type and its field, and the Secret's stringData. */
  credentials?: { policy: Record<string, unknown>; stringData: Record<string, string> };
}

/** The models OpenAI and Azure OpenAI both serve: the same pattern puts them in one rule. */
const OPENAI_MODELS = "gpt-.*|o[0-9].*|chatgpt-.*|text-embedding-.*";

const set = (env: Env, name: string) => (env[name] ?? "") !== "";

/** `https://host[:port]/...` as an endpoint; the path is the provider's business, not ours. */
function endpointOfURL(url: string, fallbackPort = 443) {
  const parsed = new URL(url);
  const tls = parsed.protocol === "https:";
  return {
    hostname: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : tls ? fallbackPort : 80,
    tls,
  };
}

const secretRef = (name: string) => ({ secretRef: { name } });

function providersOf(env: Env): Provider[] {
  const providers: Provider[] = [];
  if (set(env, "OPENAI_API_KEY")) {
    providers.push({
      name: "openai",
      models: OPENAI_MODELS,
      owner: "OpenAI",
      schema: { name: "OpenAI", version: "v1" },
      endpoint: endpointOfURL(env.OPENAI_BASE_URL || "https://api.openai.com"),
      credentials: {
        policy: { type: "APIKey", apiKey: secretRef("openai") },
        stringData: { apiKey: "${OPENAI_API_KEY}" },
      },
    });
  }
  if (set(env, "AZURE_OPENAI_API_KEY") && set(env, "AZURE_OPENAI_ENDPOINT")) {
    providers.push({
      name: "azure-openai",
      models: OPENAI_MODELS,
      owner: "Azure OpenAI",
      schema: { name: "AzureOpenAI", version: env.OPENAI_API_VERSION || "2024-10-21" },
      endpoint: endpointOfURL(env.AZURE_OPENAI_ENDPOINT!),
      credentials: {
        policy: { type: "AzureAPIKey", azureAPIKey: secretRef("azure-openai") },
        stringData: { apiKey: "${AZURE_OPENAI_API_KEY}" },
      },
    });
  }
  if (set(env, "ANTHROPIC_API_KEY")) {
    providers.push({
      name: "anthropic",
      models: "claude-.*",
      owner: "Anthropic",
      schema: { name: "Anthropic" },
      endpoint: { hostname: "api.anthropic.com", port: 443, tls: true },
      credentials: {
        policy: { type: "AnthropicAPIKey", anthropicAPIKey: secretRef("anthropic") },
        stringData: { apiKey: "${ANTHROPIC_API_KEY}" },
      },
    });
  }
  if (set(env, "AWS_ACCESS_KEY_ID") && set(env, "AWS_SECRET_ACCESS_KEY")) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
    const session = set(env, "AWS_SESSION_TOKEN")
      ? "aws_session_token = ${AWS_SESSION_TOKEN}\n"
      : "";
    providers.push({
      name: "aws-bedrock",
      // Bedrock model ids start with the vendor, or a cross-region prefix (us., eu., apac.).
      models: "(us|eu|apac|global)?\\.?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek)\\..*",
      owner: "AWS Bedrock",
      schema: { name: "AWSBedrock" },
      endpoint: { hostname: `bedrock-runtime.${region}.amazonaws.com`, port: 443, tls: true },
      credentials: {
        policy: {
          type: "AWSCredentials",
          awsCredentials: { region, credentialsFile: secretRef("aws-bedrock") },
        },
        stringData: {
          credentials: `[default]\naws_access_key_id = \${AWS_ACCESS_KEY_ID}\naws_secret_access_key = \${AWS_SECRET_ACCESS_KEY}\n${session}`,
        },
      },
    });
  }
  const gcpKeyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  const gcpProject = env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT;
  if (gcpKeyFile && gcpProject) {
    const region = env.GOOGLE_CLOUD_LOCATION || env.GOOGLE_CLOUD_REGION || "us-central1";
    providers.push({
      name: "gcp-vertex-ai",
      models: "gemini-.*",
      owner: "Google",
      schema: { name: "GCPVertexAI" },
      endpoint: { hostname: `${region}-aiplatform.googleapis.com`, port: 443, tls: true },
      credentials: {
        policy: {
          type: "GCPCredentials",
          gcpCredentials: {
            projectName: gcpProject,
            region,
            credentialsFile: secretRef("gcp-vertex-ai"),
          },
        },
        // The key file is read now: it is a file, not a variable, and the Secret holds its text.
        stringData: { "service_account.json": readFileSync(gcpKeyFile, "utf8") },
      },
    });
  }
  if (providers.length === 0) {
    providers.push({
      name: "ollama",
      models: ".*",
      owner: "Ollama",
      schema: { name: "OpenAI", version: "v1" },
      endpoint: endpointOfURL(
        /^https?:\/\//.test(env.OLLAMA_HOST ?? "")
          ? env.OLLAMA_HOST!
          : `http://${env.OLLAMA_HOST || "localhost:11434"}`,
      ),
    });
  }
  return providers;
}

const object = (apiVersion: string, kind: string, name: string, rest: object): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, namespace: NAMESPACE },
  ...rest,
});

function manifestsOf(provider: Provider): Manifest[] {
  const { name, endpoint, credentials } = provider;
  const manifests = [
    object("gateway.envoyproxy.io/v1alpha1", "Backend", name, {
      spec: {
        endpoints: [{ fqdn: { hostname: endpoint.hostname, port: endpoint.port } }],
        ...(endpoint.tls ? { tls: { wellKnownCACertificates: "System" } } : {}),
      },
    }),
    object("aigateway.envoyproxy.io/v1alpha1", "AIServiceBackend", name, {
      spec: { schema: provider.schema, backendRef: { name, ...BACKEND_API } },
    }),
  ];
  if (credentials) {
    manifests.push(
      object("v1", "Secret", name, { type: "Opaque", stringData: credentials.stringData }),
      object("aigateway.envoyproxy.io/v1alpha1", "BackendSecurityPolicy", name, {
        spec: {
          targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name }],
          ...credentials.policy,
        },
      }),
    );
  }
  return manifests;
}

/**
 * The default configuration for `env`: one AIGatewayRoute, with a rule per provider family; two
 * providers of the same models (OpenAI and Azure OpenAI) share a rule, the second as a fallback.
 */
export function defaultManifests(env: Env): SourcedManifest[] {
  const providers = providersOf(env);
  const rules = new Map<string, Provider[]>();
  for (const provider of providers) {
    rules.set(provider.models, [...(rules.get(provider.models) ?? []), provider]);
  }
  const route = object("aigateway.envoyproxy.io/v1alpha1", "AIGatewayRoute", "default", {
    spec: {
      rules: [...rules.entries()].map(([models, serving]) => ({
        matches: [
          { headers: [{ type: "RegularExpression", name: "x-ai-eg-model", value: models }] },
        ],
        modelsOwnedBy: serving[0].owner,
        backendRefs: serving.map((provider, priority) => ({ name: provider.name, priority })),
      })),
    },
  });
  return [...providers.flatMap(manifestsOf), route].map(manifest => ({
    source: DEFAULT_SOURCE,
    manifest,
  }));
}
