/**
 * The resolved credentials of one backend, as the control plane writes them into the ext_proc
 * configuration (values read from the user's Secrets). Self-contained so the ext_proc configuration
 * document can embed `BackendAuthConfigSchema` as is.
 *
 * Every field that carries a credential is built with `secretString()`, which records it in
 * `secretFields`; `redact()` walks a config against the schema and masks exactly those fields.
 *
 * The cross-field rules of the CRD (`has(a) != has(b)`: exactly one credential source) are repeated
 * here, because the data plane must not guess: with neither source an SDK would silently fall back
 * to the pod's own identity, and with both one of them would silently be ignored.
 * `parseBackendAuthConfig()` applies the schema with messages that name fields, never values.
 */
import { z } from "zod";
import { AuthError } from "./errors";

/** The schemas of the fields whose values are credentials (API keys, client secrets, key files). */
export const secretFields = z.registry<{ secret: true }>();

/** A non-empty string that holds a credential: registered so `redact()` masks it. */
function secretString(description: string) {
  const schema = z.string().min(1).describe(description);
  secretFields.add(schema, { secret: true });
  return schema;
}

/**
 * The CRD rule `has(self.a) != has(self.b)`: exactly one of two credential sources is set. The issue
 * names both fields and says which way it failed; it never quotes a value.
 */
function exactlyOneOf<K extends string>(a: K, b: K) {
  return (value: Partial<Record<K, unknown>>, ctx: z.RefinementCtx) => {
    const set = [a, b].filter(key => value[key] !== undefined).length;
    if (set === 1) return;
    ctx.addIssue({
      code: "custom",
      message: `set exactly one of ${a} or ${b} (${set === 0 ? "neither is" : "both are"} set)`,
      path: [],
    });
  };
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

const AWSCredentialsSchema = z
  .strictObject({
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
      awsRoleArn: z
        .string()
        .min(1)
        .describe("The role assumed with the OIDC token as web identity."),
    }).optional(),
    stsEndpoint: endpointURL(
      "The STS endpoint for AssumeRoleWithWebIdentity (default: the regional AWS endpoint).",
    ).optional(),
  })
  .superRefine(exactlyOneOf("credentialsFile", "oidcExchangeToken"));

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
  .superRefine(exactlyOneOf("clientSecret", "oidcExchangeToken"));

const GCPCredentialsSchema = z
  .strictObject({
    type: z.literal("GCPCredentials"),
    projectName: z.string().min(1).describe("The GCP project in the Vertex AI path."),
    region: z
      .string()
      .min(1)
      .describe("The Vertex AI location (`global` for the global endpoint)."),
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
  })
  .superRefine(exactlyOneOf("credentialsFile", "workloadIdentityFederationConfig"));

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
/** A config as written, before defaults are applied (what `createBackendAuth` accepts). */
export type BackendAuthConfigInput = z.input<typeof BackendAuthConfigSchema>;

const CONFIG_TYPES: ReadonlySet<unknown> = new Set(
  BackendAuthConfigSchema.options.map(option => option.shape.type.value),
);

/**
 * Parses a config against `BackendAuthConfigSchema`. Throws an `AuthError` (`INVALID_CONFIG`)
 * whose message names the type, each failing field and the rule it breaks
 * (`AzureCredentials: set exactly one of clientSecret or oidcExchangeToken (both are set)`); it is
 * built from field paths and the schema's own messages only, never from a value, so it is safe to
 * log and to put in status.
 */
export function parseBackendAuthConfig(input: unknown): BackendAuthConfig {
  const result = BackendAuthConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const type = (input as { type?: unknown } | null | undefined)?.type;
  const where = CONFIG_TYPES.has(type) ? String(type) : "backend auth config";
  const problems = result.error.issues.map(issue => {
    if (issue.path.length === 1 && issue.path[0] === "type") {
      return `type: must be one of ${[...CONFIG_TYPES].join(", ")}`;
    }
    const message = issue.code === "unrecognized_keys" ? unknownFields(issue.keys) : issue.message;
    const path = fieldPath(issue.path);
    return path ? `${path}: ${message}` : message;
  });
  throw new AuthError("INVALID_CONFIG", `${where}: ${problems.join("; ")}`);
}

/**
 * Unknown keys are named when they look like a field name (a mistyped `apikey`), and withheld
 * otherwise: a key is input too, and a pasted secret can end up as one.
 */
function unknownFields(keys: readonly string[]): string {
  const names = keys.map(key =>
    /^[A-Za-z][A-Za-z0-9]{0,39}$/.test(key) ? `"${key}"` : "(name withheld)",
  );
  return `unknown field${keys.length === 1 ? "" : "s"} ${names.join(", ")}`;
}

/** `oidcExchangeToken.oidc.scopes[0]`: object keys joined by dots, array indexes in brackets. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`,
    )
    .join("");
}

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
