/**
 * The resolved credentials of one backend, as the control plane writes them into the ext_proc
 * configuration (values read from the user's Secrets). Self-contained so the ext_proc configuration
 * document can embed `BackendAuthConfigSchema` as is.
 *
 * Every field that carries a credential is built with `secretString()`, which records it in
 * `secretFields`; `redact()` walks a config against the schema and masks exactly those fields.
 */
import { z } from "zod";

/** The schemas of the fields whose values are credentials (API keys, client secrets, key files). */
export const secretFields = z.registry<{ secret: true }>();

/** A non-empty string that holds a credential: registered so `redact()` masks it. */
function secretString(description: string) {
  const schema = z.string().min(1).describe(description);
  secretFields.add(schema, { secret: true });
  return schema;
}

/** An http(s) URL; tests point these at loopback servers. */
const endpointURL = (description: string) => z.url().describe(description);

const OIDCClientSchema = z.strictObject({
  issuer: z
    .string()
    .describe("The OIDC issuer URL; its discovery document names the token endpoint."),
  tokenEndpoint: endpointURL(
    "The token endpoint; when absent it is read from <issuer>/.well-known/openid-configuration.",
  ).optional(),
  clientID: z.string().min(1).describe("The OAuth client id."),
  clientSecret: secretString("The OAuth client secret (Secret key `client-secret`)."),
  scopes: z
    .array(z.string())
    .optional()
    .describe("Scopes asked for in the client-credentials grant."),
});

const OIDCExchangeSchema = z.strictObject({
  oidc: OIDCClientSchema,
  grantType: z
    .string()
    .optional()
    .describe("The OAuth grant type of the OIDC token request (default client_credentials)."),
  aud: z
    .string()
    .optional()
    .describe("An audience to ask the OIDC provider for, when it needs one."),
});

const APIKeySchema = z.strictObject({
  type: z.literal("APIKey"),
  apiKey: secretString("Sent as `Authorization: Bearer <key>`."),
});

const AzureAPIKeySchema = z.strictObject({
  type: z.literal("AzureAPIKey"),
  apiKey: secretString("Sent as the `api-key` header."),
});

const AnthropicAPIKeySchema = z.strictObject({
  type: z.literal("AnthropicAPIKey"),
  apiKey: secretString("Sent as the `x-api-key` header."),
});

const AWSCredentialsSchema = z.strictObject({
  type: z.literal("AWSCredentials"),
  region: z.string().min(1).describe("The SigV4 signing region, and the default Bedrock host's."),
  credentialsFile: z
    .strictObject({
      content: secretString(
        "The AWS shared credentials file (INI text, Secret key `credentials`).",
      ),
      profile: z.string().min(1).default("default").describe("The INI section to read."),
    })
    .optional(),
  oidcExchangeToken: OIDCExchangeSchema.extend({
    awsRoleArn: z.string().min(1).describe("The role assumed with the OIDC token as web identity."),
  }).optional(),
  stsEndpoint: endpointURL(
    "The STS endpoint for AssumeRoleWithWebIdentity (default: the regional AWS endpoint).",
  ).optional(),
});

const AzureCredentialsSchema = z
  .strictObject({
    type: z.literal("AzureCredentials"),
    clientID: z.string().min(1).describe("The Entra ID application (client) id."),
    tenantID: z.string().min(1).describe("The Entra ID tenant id."),
    clientSecret: secretString("The application's client secret.").optional(),
    oidcExchangeToken: OIDCExchangeSchema.optional().describe(
      "An OIDC token used as a federated client assertion instead of a client secret.",
    ),
    authorityHost: endpointURL(
      "The Entra ID authority host (default https://login.microsoftonline.com).",
    ).optional(),
  })
  .refine(azure => (azure.clientSecret === undefined) !== (azure.oidcExchangeToken === undefined), {
    message: "Exactly one of clientSecret or oidcExchangeToken must be specified",
  });

const GCPCredentialsSchema = z.strictObject({
  type: z.literal("GCPCredentials"),
  projectName: z.string().min(1).describe("The GCP project in the Vertex AI path."),
  region: z.string().min(1).describe("The Vertex AI location (`global` for the global endpoint)."),
  credentialsFile: z
    .strictObject({
      content: secretString(
        "A service-account key file (JSON, Secret key `service_account.json`).",
      ),
    })
    .optional(),
  workloadIdentityFederationConfig: z
    .strictObject({
      projectID: z.string().min(1).describe("The project number or id that owns the pool."),
      workloadIdentityPoolName: z.string().min(1),
      workloadIdentityProviderName: z.string().min(1),
      oidcExchangeToken: OIDCExchangeSchema,
      serviceAccountImpersonation: z
        .strictObject({
          serviceAccountName: z
            .string()
            .min(1)
            .describe("Impersonated as <name>@<projectName>.iam.gserviceaccount.com."),
        })
        .optional(),
    })
    .optional(),
  endpoints: z
    .strictObject({
      stsTokenURL: endpointURL(
        "Google STS token exchange (default https://sts.googleapis.com/v1/token).",
      ).optional(),
      iamCredentialsURL: endpointURL(
        "IAM credentials API base (default https://iamcredentials.googleapis.com).",
      ).optional(),
      oauthTokenURL: endpointURL(
        "OAuth token endpoint for service-account keys (default: the key file's token_uri).",
      ).optional(),
    })
    .optional(),
});

/** How the data plane authenticates to one backend's provider, with the secret values resolved. */
export const BackendAuthConfigSchema = z.discriminatedUnion("type", [
  APIKeySchema,
  AzureAPIKeySchema,
  AnthropicAPIKeySchema,
  AWSCredentialsSchema,
  AzureCredentialsSchema,
  GCPCredentialsSchema,
]);
export type BackendAuthConfig = z.infer<typeof BackendAuthConfigSchema>;

/** The placeholder `redact()` writes in place of a secret value. */
export const REDACTED = "[redacted]";

/**
 * A deep copy of `value` with every field the schema marks secret replaced by `REDACTED`, safe to
 * log, print or put in status. Unknown fields are kept: they cannot be secret by the schema.
 */
export function redact(config: BackendAuthConfig): BackendAuthConfig {
  return redactWith(BackendAuthConfigSchema, config) as BackendAuthConfig;
}

function redactWith(schema: z.core.$ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (secretFields.has(schema as z.ZodType)) return REDACTED;
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
      return redactWith((def as z.core.$ZodOptionalDef).innerType, value);
    case "union": {
      const options = (def as z.core.$ZodUnionDef).options;
      // A value that does not parse is still redacted by its discriminator's option.
      const match =
        options.find(option => z.safeParse(option, value).success) ??
        options.find(option => sameDiscriminator(option, value));
      return match ? redactWith(match, value) : value;
    }
    case "array":
      return Array.isArray(value)
        ? value.map(item => redactWith((def as z.core.$ZodArrayDef).element, item))
        : value;
    case "object": {
      if (typeof value !== "object") return value;
      const shape = (def as z.core.$ZodObjectDef).shape;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, field]) => [
          key,
          shape[key] ? redactWith(shape[key], field) : field,
        ]),
      );
    }
    default:
      return value;
  }
}

function sameDiscriminator(option: z.core.$ZodType, value: unknown): boolean {
  const def = option._zod.def;
  if (def.type !== "object" || typeof value !== "object" || value === null) return false;
  const typeField = (def as z.core.$ZodObjectDef).shape.type;
  return (
    typeField !== undefined && z.safeParse(typeField, (value as { type?: unknown }).type).success
  );
}
