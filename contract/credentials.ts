/**
 * The resolved credentials of one backend, as the control plane writes them into a route's
 * configuration (values read from the user's Secrets) and the data plane reads them. Part of the
 * contract: change it only together with `CONFIG_VERSION`.
 *
 * Each field the BackendSecurityPolicy API also has takes that field's schema from the API, so a
 * limit or a description is written once; what differs is that a Secret reference is replaced by
 * the value it holds, and a few endpoints can be pointed elsewhere (tests, private clouds).
 *
 * Every field that carries a credential is built with `secretString()`, which records it in
 * `secretFields`, so a config can be redacted by walking it against the schema.
 *
 * The cross-field rules of the CRD (one credential source) are repeated here, because the data
 * plane must not guess: with both sources one would silently be ignored, and with neither an SDK
 * would silently fall back to the pod's own identity. The pod's own identity is a mode of its own
 * only where the reference has it: AWS and GCP with neither source (the AWS SDK's default chain;
 * Google's Application Default Credentials), and Azure with `useManagedIdentity` (AKS workload
 * identity or the node's managed identity).
 */
import { z } from "zod";
import * as api from "../api/v1alpha1";

/** The schemas of the fields whose values are credentials (API keys, client secrets, key files). */
export const secretFields = z.registry<{ secret: true }>();

/** A non-empty string that holds a credential: registered so it can be redacted. */
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

/**
 * The CRD rule `!(has(self.a) && has(self.b))`: at most one of two credential sources. Neither is a
 * mode of its own (the pod's identity); both would leave one silently ignored.
 */
function atMostOneOf<K extends string>(a: K, b: K) {
  return (value: Partial<Record<K, unknown>>, ctx: z.RefinementCtx) => {
    if (value[a] === undefined || value[b] === undefined) return;
    ctx.addIssue({
      code: "custom",
      message: `set at most one of ${a} or ${b} (both are set)`,
      path: [],
    });
  };
}

/** An http(s) URL; tests point these at loopback servers. */
const endpointURL = (description: string) => z.url().describe(description);

const oidcSpec = api.OIDCSchema.shape;
const oidcExchangeSpec = api.OIDCExchangeTokenSchema.shape;

const OIDCClientSchema = z.strictObject({
  issuer: oidcSpec.provider.shape.issuer,
  tokenEndpoint: endpointURL(
    "The token endpoint; when absent it is read from <issuer>/.well-known/openid-configuration.",
  ).optional(),
  clientID: oidcSpec.clientID,
  clientSecret: secretString("The OAuth client secret (Secret key `client-secret`)."),
  scopes: oidcSpec.scopes,
});

const OIDCExchangeSchema = z.strictObject({
  oidc: OIDCClientSchema,
  grantType: oidcExchangeSpec.grantType,
  aud: oidcExchangeSpec.aud,
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

const awsSpec = api.AWSCredentialsSchema.shape;

const AWSCredentialsSchema = z
  .strictObject({
    type: z.literal("AWSCredentials"),
    region: awsSpec.region,
    credentialsFile: z
      .strictObject({
        content: secretString(
          "The AWS shared credentials file (INI text, Secret key `credentials`).",
        ),
        profile: awsSpec.credentialsFile.unwrap().shape.profile,
      })
      .optional(),
    oidcExchangeToken: OIDCExchangeSchema.extend({
      awsRoleArn: awsSpec.oidcExchangeToken.unwrap().shape.awsRoleArn,
    }).optional(),
    stsEndpoint: endpointURL(
      "The STS endpoint for AssumeRoleWithWebIdentity (default: the regional AWS endpoint).",
    ).optional(),
  })
  .describe(
    "With neither credentialsFile nor oidcExchangeToken, the data plane signs with its pod's own identity (the AWS SDK's default chain).",
  )
  .superRefine(atMostOneOf("credentialsFile", "oidcExchangeToken"));

/** The fields of an Azure config that choose its credential source. */
interface AzureSources {
  clientID?: string;
  clientSecret?: string;
  oidcExchangeToken?: unknown;
  useManagedIdentity?: boolean;
}

/**
 * The CRD's two Azure rules: with `useManagedIdentity` neither a secret nor an OIDC token (the pod's
 * identity is the source); otherwise exactly one of them, and a clientID.
 */
function azureSource(value: AzureSources, ctx: z.RefinementCtx) {
  if (!value.useManagedIdentity) {
    exactlyOneOf("clientSecret", "oidcExchangeToken")(value, ctx);
    if (value.clientID === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "required unless useManagedIdentity is true",
        path: ["clientID"],
      });
    }
    return;
  }
  const set = (["clientSecret", "oidcExchangeToken"] as const).filter(
    key => value[key] !== undefined,
  );
  if (set.length === 0) return;
  ctx.addIssue({
    code: "custom",
    message: `with useManagedIdentity, set neither clientSecret nor oidcExchangeToken (${set.join(" and ")} ${set.length === 1 ? "is" : "are"} set)`,
    path: [],
  });
}

const azureSpec = api.AzureCredentialsSchema.shape;

const AzureCredentialsSchema = z
  .strictObject({
    type: z.literal("AzureCredentials"),
    clientID: azureSpec.clientID,
    tenantID: azureSpec.tenantID,
    clientSecret: secretString("The application's client secret.").optional(),
    oidcExchangeToken: OIDCExchangeSchema.optional().describe(
      "An OIDC token used as a federated client assertion instead of a client secret.",
    ),
    useManagedIdentity: azureSpec.useManagedIdentity,
    authorityHost: endpointURL(
      "The Entra ID authority host (default https://login.microsoftonline.com).",
    ).optional(),
  })
  .superRefine(azureSource);
const gcpSpec = api.GCPCredentialsSchema.shape;
const federationSpec = api.GCPWorkloadIdentityFederationSchema.shape;

const GCPCredentialsSchema = z
  .strictObject({
    type: z.literal("GCPCredentials"),
    projectName: gcpSpec.projectName,
    region: gcpSpec.region,
    credentialsFile: z
      .strictObject({
        content: secretString(
          "A service-account key file (JSON, Secret key `service_account.json`).",
        ),
      })
      .optional(),
    workloadIdentityFederationConfig: z
      .strictObject({
        projectID: federationSpec.projectID,
        workloadIdentityPoolName: federationSpec.workloadIdentityPoolName,
        workloadIdentityProviderName: federationSpec.workloadIdentityProviderName,
        oidcExchangeToken: OIDCExchangeSchema,
        serviceAccountImpersonation: federationSpec.serviceAccountImpersonation,
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
  .describe(
    "With neither credentialsFile nor workloadIdentityFederationConfig, the data plane uses its pod's Application Default Credentials.",
  )
  .superRefine(atMostOneOf("credentialsFile", "workloadIdentityFederationConfig"));

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
/** A config as written, before defaults are applied. */
export type BackendAuthConfigInput = z.input<typeof BackendAuthConfigSchema>;
