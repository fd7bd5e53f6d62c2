/**
 * The resolved credentials of one backend, as the control plane writes them into the ext_proc
 * configuration (values read from the user's Secrets).
 */
import { z } from "zod";

const OIDCClientSchema = z.strictObject({
  issuer: z.string(),
  tokenEndpoint: z.string().optional(),
  clientID: z.string(),
  clientSecret: z.string(),
  scopes: z.array(z.string()).optional(),
});

const OIDCExchangeSchema = z.strictObject({
  oidc: OIDCClientSchema,
  grantType: z.string().optional(),
  aud: z.string().optional(),
});

export const BackendAuthConfigSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("APIKey"), apiKey: z.string() }),
  z.strictObject({ type: z.literal("AzureAPIKey"), apiKey: z.string() }),
  z.strictObject({ type: z.literal("AnthropicAPIKey"), apiKey: z.string() }),
  z.strictObject({
    type: z.literal("AWSCredentials"),
    region: z.string(),
    credentialsFile: z
      .strictObject({ content: z.string(), profile: z.string().default("default") })
      .optional(),
    oidcExchangeToken: OIDCExchangeSchema.extend({ awsRoleArn: z.string() }).optional(),
    stsEndpoint: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal("AzureCredentials"),
    clientID: z.string(),
    tenantID: z.string(),
    clientSecret: z.string().optional(),
    oidcExchangeToken: OIDCExchangeSchema.optional(),
    authorityHost: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal("GCPCredentials"),
    projectName: z.string(),
    region: z.string(),
    credentialsFile: z.strictObject({ content: z.string() }).optional(),
    workloadIdentityFederationConfig: z
      .strictObject({
        projectID: z.string(),
        workloadIdentityPoolName: z.string(),
        workloadIdentityProviderName: z.string(),
        oidcExchangeToken: OIDCExchangeSchema,
        serviceAccountImpersonation: z.strictObject({ serviceAccountName: z.string() }).optional(),
      })
      .optional(),
  }),
]);
export type BackendAuthConfig = z.infer<typeof BackendAuthConfigSchema>;
