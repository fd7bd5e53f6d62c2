import { ResourceValidator, ValidatedKind } from "../../api/validate";
import { ManifestSet } from "../../resolve/manifest-set";
import { formatViolation } from "../../api/validation/violation";
import { awsPolicy, changed, oidc, validBackend, validPolicy, validRoute } from "./examples";

/* eslint-disable @typescript-eslint/no-explicit-any -- the cases edit untyped manifests */

const validator = new ResourceValidator();

async function denialOf(object: any, others: any[] = []): Promise<string> {
  const { violations } = await validator.validate(object.kind as ValidatedKind, object, {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    lookup: new ManifestSet(others),
  });
  return violations.map(formatViolation).join("; ");
}

const rules = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ name: `r${i}`, backendRefs: [{ name: "b" }] }));

const otherPolicy = changed(validPolicy(), p => {
  p.metadata.name = "other-auth";
});

/** [what the user got wrong, the object, the exact message, other objects in the cluster] */
const badInputs: Array<[string, any, string, any[]?]> = [
  // AIServiceBackend
  [
    "an unknown schema name",
    changed(validBackend(), b => ((b.spec.schema as any).name = "Cohere")),
    'spec.schema.name: Unsupported value: "Cohere": supported values: "OpenAI", "AWSBedrock", "AzureOpenAI", "GCPVertexAI", "GCPAnthropic", "Anthropic"',
  ],
  [
    "no schema",
    changed(validBackend(), b => delete (b.spec as any).schema),
    "spec.schema: Required value",
  ],
  [
    "a Service as backendRef",
    changed(validBackend(), b => {
      b.spec.backendRef.kind = "Service";
      b.spec.backendRef.group = "";
    }),
    "spec.backendRef: backendRef must be an Envoy Gateway Backend: set group: gateway.envoyproxy.io and kind: Backend",
  ],
  [
    "AzureOpenAI without an api-version",
    changed(validBackend(), b => (b.spec.schema = { name: "AzureOpenAI" } as any)),
    "spec.schema.version: schema.version is required for AzureOpenAI: set it to the api-version, e.g. 2024-10-21",
  ],
  [
    "an OpenAI prefix written as a path",
    changed(validBackend(), b => (b.spec.schema.version = "/v1")),
    'spec.schema.version: "/v1" is not a path prefix: for OpenAI the version is the path before /chat/completions, such as v1 or openai/v1, without leading or trailing "/"',
  ],
  [
    "a nested bodyMutation path",
    changed(validBackend(), b => {
      (b.spec as any).bodyMutation = { set: [{ path: "generationConfig.topK", value: "3" }] };
    }),
    'spec.bodyMutation.set[0].path: "generationConfig.topK" is not a valid field path: name one top-level field of the JSON body, such as "temperature" (letters, digits, "_" and "-")',
  ],
  [
    "a bodyMutation value that is not JSON",
    changed(validBackend(), b => {
      (b.spec as any).bodyMutation = { set: [{ path: "user", value: "alice" }] };
    }),
    'spec.bodyMutation.set[0].value: "alice" is not valid JSON: write the raw JSON value, e.g. 0.2, true or "\\"text\\""',
  ],
  [
    "a misspelt field",
    changed(validBackend(), b => ((b.spec as any).backendRefs = [])),
    'spec: unknown field "backendRefs"',
  ],
  [
    "a header set twice",
    changed(validBackend(), b => {
      (b.spec as any).headerMutation = {
        set: [
          { name: "X-Team", value: "a" },
          { name: "x-team", value: "b" },
        ],
      };
    }),
    "spec.headerMutation.set: header names in set must be unique (case-insensitively)",
  ],
  [
    "an uppercase Backend name",
    changed(validBackend(), b => (b.spec.backendRef.name = "OpenAI")),
    'spec.backendRef.name: Invalid value: "OpenAI": must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".")',
  ],
  [
    "a body field set twice",
    changed(validBackend(), b => {
      (b.spec as any).bodyMutation = {
        set: [
          { path: "temperature", value: "0.1" },
          { path: "temperature", value: "0.2" },
        ],
      };
    }),
    'spec.bodyMutation.set[1]: Duplicate value: {"path":"temperature"}',
  ],
  // BackendSecurityPolicy
  [
    "a credential block that does not match the type",
    changed(validPolicy(), p => {
      delete (p.spec as any).apiKey;
      (p.spec as any).azureAPIKey = { secretRef: { name: "openai-secret" } };
    }),
    "spec: When type is APIKey, only apiKey field should be set",
  ],
  [
    "a type without its credential block",
    changed(validPolicy(), p => delete (p.spec as any).apiKey),
    "spec: When type is APIKey, only apiKey field should be set",
  ],
  [
    "an unknown type",
    changed(validPolicy(), p => (p.spec.type = "Password")),
    'spec.type: Unsupported value: "Password": supported values: "APIKey", "AWSCredentials", "AzureAPIKey", "AzureCredentials", "GCPCredentials", "AnthropicAPIKey"',
  ],
  [
    "a target that is not an AIServiceBackend",
    changed(validPolicy(), p => (p.spec.targetRefs[0].kind = "Backend")),
    "spec.targetRefs: targetRefs must reference AIServiceBackend resources",
  ],
  [
    "a Secret in another namespace",
    changed(validPolicy(), p => (p.spec.apiKey.secretRef.namespace = "team-b")),
    'spec.apiKey.secretRef.namespace: Secret namespace "team-b" is not allowed: a BackendSecurityPolicy can only use Secrets in its own namespace "default"',
  ],
  [
    "a ConfigMap as secretRef",
    changed(validPolicy(), p => ((p.spec.apiKey.secretRef as any).kind = "ConfigMap")),
    'spec.apiKey.secretRef: secretRef must reference a core Secret (group "", kind Secret)',
  ],
  [
    "the same target twice",
    changed(validPolicy(), p => p.spec.targetRefs.push({ ...p.spec.targetRefs[0] })),
    'spec.targetRefs[1]: AIServiceBackend "openai-backend" is targeted twice; list each backend once',
  ],
  [
    "a backend another policy already targets",
    validPolicy(),
    'spec.targetRefs[0]: AIServiceBackend "openai-backend" is already targeted by BackendSecurityPolicy "other-auth"; a backend takes one policy',
    [otherPolicy],
  ],
  [
    "AWS with both a credentials file and OIDC",
    changed(awsPolicy(), p => {
      (p.spec.awsCredentials as any).oidcExchangeToken = {
        ...oidc(),
        awsRoleArn: "arn:aws:iam::123456789012:role/r",
      };
    }),
    "spec.awsCredentials: at most one of credentialsFile or oidcExchangeToken may be set; set neither to sign with the data plane pod's own AWS identity (IRSA, EKS Pod Identity or the instance role)",
  ],
  [
    "an AWS region without its number",
    changed(awsPolicy(), p => (p.spec.awsCredentials.region = "us-east")),
    'spec.awsCredentials.region: "us-east" is not an AWS region such as us-east-1',
  ],
  [
    "a role name instead of a role ARN",
    changed(awsPolicy(), p => {
      delete (p.spec.awsCredentials as any).credentialsFile;
      (p.spec.awsCredentials as any).oidcExchangeToken = {
        ...oidc(),
        awsRoleArn: "bedrock-invoker",
      };
    }),
    'spec.awsCredentials.oidcExchangeToken.awsRoleArn: "bedrock-invoker" is not an IAM role ARN such as arn:aws:iam::123456789012:role/bedrock-invoker',
  ],
  [
    "an OIDC issuer without a scheme",
    changed(awsPolicy(), p => {
      delete (p.spec.awsCredentials as any).credentialsFile;
      const token = { ...oidc(), awsRoleArn: "arn:aws:iam::123456789012:role/r" };
      token.oidc.provider.issuer = "issuer.example.com";
      (p.spec.awsCredentials as any).oidcExchangeToken = token;
    }),
    'spec.awsCredentials.oidcExchangeToken.oidc.provider.issuer: Invalid value: "issuer.example.com": must be an http(s) URL without spaces, such as https://issuer.example.com',
  ],
  [
    "Azure credentials without a tenant",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = { clientID: "id", clientSecretRef: { name: "azure" } };
    }),
    "spec.azureCredentials.tenantID: Required value",
  ],
  [
    "Azure credentials with both a client secret and OIDC",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = {
        clientID: "id",
        tenantID: "tenant",
        clientSecretRef: { name: "azure" },
        oidcExchangeToken: oidc(),
      };
    }),
    "spec.azureCredentials: When useManagedIdentity is true, clientSecretRef and oidcExchangeToken must not be specified. Otherwise, exactly one of clientSecretRef or oidcExchangeToken must be specified",
  ],
  [
    "Azure credentials with neither a client secret, OIDC nor the managed identity",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = { clientID: "id", tenantID: "tenant" };
    }),
    "spec.azureCredentials: When useManagedIdentity is true, clientSecretRef and oidcExchangeToken must not be specified. Otherwise, exactly one of clientSecretRef or oidcExchangeToken must be specified",
  ],
  [
    "Azure managed identity together with a client secret",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = {
        tenantID: "tenant",
        useManagedIdentity: true,
        clientSecretRef: { name: "azure" },
      };
    }),
    "spec.azureCredentials: When useManagedIdentity is true, clientSecretRef and oidcExchangeToken must not be specified. Otherwise, exactly one of clientSecretRef or oidcExchangeToken must be specified",
  ],
  [
    "Azure managed identity turned off, with a client secret but no clientID",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = {
        tenantID: "tenant",
        useManagedIdentity: false,
        clientSecretRef: { name: "azure" },
      };
    }),
    "spec.azureCredentials: clientID is optional for system-assigned managed identity but required otherwise",
  ],
  [
    "Azure managed identity given as a string",
    changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).azureCredentials = { tenantID: "tenant", useManagedIdentity: "true" };
    }),
    "spec.azureCredentials.useManagedIdentity: Invalid value: string: must be of type boolean",
  ],
  [
    "GCP credentials with both a key file and federation",
    changed(validPolicy(), p => {
      p.spec.type = "GCPCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).gcpCredentials = {
        projectName: "p",
        region: "us-central1",
        credentialsFile: { secretRef: { name: "gcp" } },
        workloadIdentityFederationConfig: {
          projectID: "p",
          workloadIdentityPoolName: "pool",
          workloadIdentityProviderName: "provider",
          oidcExchangeToken: oidc(),
        },
      };
    }),
    "spec.gcpCredentials: At most one of credentialsFile or workloadIdentityFederationConfig may be specified",
  ],
  [
    "a GCP zone instead of a region",
    changed(validPolicy(), p => {
      p.spec.type = "GCPCredentials";
      delete (p.spec as any).apiKey;
      (p.spec as any).gcpCredentials = {
        projectName: "p",
        region: "us-central1-a",
        credentialsFile: { secretRef: { name: "gcp" } },
      };
    }),
    'spec.gcpCredentials.region: "us-central1-a" is not a Vertex AI location such as us-central1 or global',
  ],
  // AIGatewayRoute
  [
    "an invalid regular expression",
    changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers[0] = {
        type: "RegularExpression",
        name: "x-ai-eg-model",
        value: "gpt-(4",
      };
    }),
    'spec.rules[0].matches[0].headers[0].value: "gpt-(4" is not a valid RE2 regular expression: missing closing ): `gpt-(4`',
  ],
  [
    "a lookahead, which JavaScript accepts and RE2 (Envoy) does not",
    changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers[0] = {
        type: "RegularExpression",
        name: "x-ai-eg-model",
        value: "gpt-4o(?!-mini)",
      };
    }),
    'spec.rules[0].matches[0].headers[0].value: "gpt-4o(?!-mini)" is not a valid RE2 regular expression: lookahead `(?!` is not supported by RE2 (Envoy\'s regex engine); the pattern must match the whole value, so list the values to match instead, e.g. a|b',
  ],
  [
    "a backreference",
    changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers[0] = {
        type: "RegularExpression",
        name: "x-ai-eg-model",
        value: "(gpt)-\\1",
      };
    }),
    'spec.rules[0].matches[0].headers[0].value: "(gpt)-\\\\1" is not a valid RE2 regular expression: backreference `\\1` is not supported by RE2 (Envoy\'s regex engine); write the repeated text out',
  ],
  [
    "modelsCreatedAt without a time",
    changed(validRoute(), r => (r.spec.rules[0].modelsCreatedAt = "2024-01-01")),
    'spec.rules[0].modelsCreatedAt: Invalid value: "2024-01-01": must be an RFC 3339 date-time such as 2024-01-01T00:00:00Z',
  ],
  [
    "sixteen rules",
    changed(validRoute(), r => ((r.spec as any).rules = rules(16))),
    "spec.rules: Too many: must have at most 15 items",
  ],
  [
    "sixteen distinct backends over the rules",
    changed(validRoute(), r => {
      (r.spec as any).rules = Array.from({ length: 8 }, (_, i) => ({
        name: `r${i}`,
        backendRefs: [{ name: `primary-${i}` }, { name: `fallback-${i}`, priority: 1 }],
      }));
    }),
    "spec.rules: the route uses 16 distinct AIServiceBackends, but a route can use at most 15 (its HTTPRoute holds one rule per backend, plus the catch-all): split the rules over two AIGatewayRoutes",
  ],
  [
    "no rules",
    changed(validRoute(), r => ((r.spec as any).rules = [])),
    "spec.rules: Required value: must have at least 1 item",
  ],
  [
    "two rules with one name",
    changed(validRoute(), r => ((r.spec as any).rules = [...rules(2), { name: "r0" }])),
    "spec.rules: rule name must be unique within the route",
  ],
  [
    "the reserved rule name",
    changed(validRoute(), r => ((r.spec.rules[0] as any).name = "route-not-found")),
    "spec.rules[0].name: rule name route-not-found is reserved",
  ],
  [
    "an HTTPRoute as parent",
    changed(validRoute(), r => (r.spec.parentRefs[0].kind = "HTTPRoute")),
    "spec.parentRefs: only Gateway is supported",
  ],
  [
    "a Prefix header match",
    changed(validRoute(), r => (r.spec.rules[0].matches[0].headers[0].type = "Prefix")),
    'spec.rules[0].matches[0].headers[0].type: Unsupported value: "Prefix": supported values: "Exact", "RegularExpression"',
  ],
  [
    "one header matched twice in two spellings",
    changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers.push({
        type: "Exact",
        name: "X-AI-EG-Model",
        value: "o3",
      });
    }),
    "spec.rules[0].matches[0].headers: each header may be matched only once per match (names are case-insensitive)",
  ],
  [
    "a header name with a space",
    changed(validRoute(), r => (r.spec.rules[0].matches[0].headers[0].name = "x model")),
    'spec.rules[0].matches[0].headers[0].name: Invalid value: "x model": must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~), such as x-ai-eg-model',
  ],
  [
    "a header name with its colon",
    changed(validRoute(), r => {
      (r.spec.rules[0].backendRefs[0] as any).headerMutation = {
        set: [{ name: "x-team:", value: "a" }],
      };
    }),
    'spec.rules[0].backendRefs[0].headerMutation.set[0].name: Invalid value: "x-team:": must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~), such as x-ai-eg-model',
  ],
  [
    "a backend namespace with an underscore",
    changed(validRoute(), r => ((r.spec.rules[0].backendRefs[0] as any).namespace = "team_a")),
    'spec.rules[0].backendRefs[0].namespace: Invalid value: "team_a": must be a lowercase RFC 1123 label (a-z, 0-9 and "-"), such as team-a',
  ],
  [
    "a parent kind with a dot",
    changed(validRoute(), r => (r.spec.parentRefs[0].kind = "Gateway.v1")),
    'spec.parentRefs[0].kind: Invalid value: "Gateway.v1": must be a kind such as Backend (a letter, then letters, digits and "-")',
  ],
  [
    "a negative weight",
    changed(validRoute(), r => ((r.spec.rules[0].backendRefs[0] as any).weight = -1)),
    "spec.rules[0].backendRefs[0].weight: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a fractional priority",
    changed(validRoute(), r => ((r.spec.rules[0].backendRefs[0] as any).priority = 0.5)),
    "spec.rules[0].backendRefs[0].priority: Invalid value: number: must be of type integer",
  ],
  [
    "one backend listed twice in a rule",
    changed(validRoute(), r => r.spec.rules[0].backendRefs.push({ name: "openai-backend" })),
    'spec.rules[0].backendRefs[2]: AIServiceBackend "default/openai-backend" is listed twice in this rule; list each backend once',
  ],
  [
    "a timeout in words",
    changed(validRoute(), r => ((r.spec.rules[0] as any).timeouts = { request: "10 seconds" })),
    'spec.rules[0].timeouts.request: Invalid value: "10 seconds": must be a duration such as 60s, 1m30s or 500ms',
  ],
  [
    "a backend timeout longer than the request timeout",
    changed(
      validRoute(),
      r => ((r.spec.rules[0] as any).timeouts = { request: "10s", backendRequest: "1m" }),
    ),
    "spec.rules[0].timeouts.backendRequest: backendRequest timeout cannot be longer than request timeout",
  ],
  [
    "an uppercase hostname",
    changed(validRoute(), r => ((r.spec as any).hostnames = ["AI.example.com"])),
    'spec.hostnames[0]: Invalid value: "AI.example.com": must be a lowercase hostname, optionally with a leading wildcard label (*.example.com)',
  ],
  [
    "a route body mutation with a nested path",
    changed(validRoute(), r => {
      (r.spec.rules[0].backendRefs[0] as any).bodyMutation = { remove: ["metadata.user"] };
    }),
    'spec.rules[0].backendRefs[0].bodyMutation.remove[0]: "metadata.user" is not a valid field path: name one top-level field of the JSON body, such as "temperature" (letters, digits, "_" and "-")',
  ],
  [
    "a CEL cost without an expression",
    changed(
      validRoute(),
      r => ((r.spec as any).llmRequestCosts = [{ metadataKey: "cost", type: "CEL" }]),
    ),
    "spec.llmRequestCosts[0]: cel must be set when type is CEL, and only then",
  ],
  [
    "a CEL cost that does not compile",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [
        { metadataKey: "cost", type: "CEL", cel: "input_tokens * " },
      ];
    }),
    "spec.llmRequestCosts[0].cel: does not compile: Unexpected token: EOF",
  ],
  [
    "a CEL cost that uses an unknown variable",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [
        { metadataKey: "cost", type: "CEL", cel: "prompt_tokens * 2u" },
      ];
    }),
    "spec.llmRequestCosts[0].cel: does not compile: Unknown variable: prompt_tokens",
  ],
  [
    "a CEL cost that returns a string",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [{ metadataKey: "cost", type: "CEL", cel: "model" }];
    }),
    "spec.llmRequestCosts[0].cel: must return an integer (int or uint), not string",
  ],
  [
    "a CEL cost that fails on an empty usage",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [
        { metadataKey: "cost", type: "CEL", cel: "output_tokens / cached_input_tokens" },
      ];
    }),
    "spec.llmRequestCosts[0].cel: fails when every token count is 0: division by zero",
  ],
  [
    "a cost type this API version does not have",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [{ metadataKey: "cost", type: "ReasoningToken" }];
    }),
    'spec.llmRequestCosts[0].type: Unsupported value: "ReasoningToken": supported values: "InputToken", "CachedInputToken", "CacheCreationInputToken", "OutputToken", "TotalToken", "CEL"',
  ],
  [
    "a cache-write cost spelt as OpenAI's usage field",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [
        { metadataKey: "cost", type: "CEL", cel: "cache_write_input_tokens * 2u" },
      ];
    }),
    "spec.llmRequestCosts[0].cel: does not compile: Unknown variable: cache_write_input_tokens",
  ],
  [
    "two costs with one metadata key",
    changed(validRoute(), r => {
      (r.spec as any).llmRequestCosts = [
        { metadataKey: "tokens", type: "InputToken" },
        { metadataKey: "tokens", type: "OutputToken" },
      ];
    }),
    "spec.llmRequestCosts: metadataKey must be unique",
  ],
];

describe("ResourceValidator rejects what users get wrong, with the field path and the fix", () => {
  it("covers at least 30 distinct bad inputs", () => {
    expect(new Set(badInputs.map(([what]) => what)).size).toBeGreaterThanOrEqual(30);
  });

  // Every row gets its fourth column, so jest does not take the test for a callback-style one.
  const rows = badInputs.map(([what, object, message, others]) => [
    what,
    object,
    message,
    others ?? [],
  ]);
  it.each(rows)("%s", async (_what, object, message, others) => {
    expect(await denialOf(object, others as unknown[])).toBe(message);
  });
});
