import { z } from "zod";
import {
  celRules,
  GROUP,
  groupName,
  kindName,
  kindObjectSchema,
  matching,
  SecretObjectReferenceSchema,
} from "./shared";

/** Each credential type and the spec field that must carry it. */
export const CREDENTIAL_FIELD_BY_TYPE = {
  APIKey: "apiKey",
  AWSCredentials: "awsCredentials",
  AzureAPIKey: "azureAPIKey",
  AzureCredentials: "azureCredentials",
  GCPCredentials: "gcpCredentials",
  AnthropicAPIKey: "anthropicAPIKey",
} as const;
export type BackendSecurityPolicyType = keyof typeof CREDENTIAL_FIELD_BY_TYPE;
const POLICY_TYPES = Object.keys(CREDENTIAL_FIELD_BY_TYPE) as [
  BackendSecurityPolicyType,
  ...BackendSecurityPolicyType[],
];

/** The Secret keys each credential reads. */
export const SECRET_KEYS = {
  apiKey: "apiKey",
  awsCredentialsFile: "credentials",
  clientSecret: "client-secret",
  gcpServiceAccount: "service_account.json",
} as const;

const secretRefHolder = (description: string) =>
  z
    .strictObject({
      secretRef: SecretObjectReferenceSchema.describe(
        `The Secret holding the key under "${SECRET_KEYS.apiKey}".`,
      ),
    })
    .describe(description);

const url = (description: string) =>
  matching(
    z.string().min(1).max(2048),
    /^https?:\/\/[^\s]+$/,
    "must be an http(s) URL without spaces, such as https://issuer.example.com",
  ).describe(description);

export const OIDCSchema = z
  .strictObject({
    provider: z
      .strictObject({
        issuer: url("The OIDC issuer URL; its discovery document gives the token endpoint."),
        authorizationEndpoint: url("Overrides the discovered authorization endpoint.").optional(),
        tokenEndpoint: url("Overrides the discovered token endpoint.").optional(),
      })
      .describe("The OIDC provider."),
    clientID: z.string().min(1).max(1024).describe("The OIDC client ID."),
    clientSecret: SecretObjectReferenceSchema.describe(
      `The Secret holding the client secret under "${SECRET_KEYS.clientSecret}".`,
    ),
    scopes: z.array(z.string().min(1).max(256)).max(16).describe("Scopes to request.").optional(),
    resources: z
      .array(z.string().min(1).max(2048))
      .max(16)
      .describe("Resource indicators to request.")
      .optional(),
  })
  .describe("An OIDC client whose client-credentials token is exchanged for cloud credentials.");

export const OIDCExchangeTokenSchema = z
  .strictObject({
    oidc: OIDCSchema,
    grantType: z
      .string()
      .min(1)
      .max(256)
      .describe("The OAuth grant type used to obtain the token; client_credentials by default.")
      .optional(),
    aud: z.string().min(1).max(1024).describe("The audience to request.").optional(),
  })
  .describe("Obtains an OIDC token to exchange for cloud credentials.");

export const AWSCredentialsSchema = z
  .strictObject({
    region: z
      .string()
      .min(1)
      .max(64)
      .describe("The AWS region of the Bedrock endpoint, e.g. us-east-1."),
    credentialsFile: z
      .strictObject({
        secretRef: SecretObjectReferenceSchema.describe(
          `The Secret holding an AWS credentials file (INI) under "${SECRET_KEYS.awsCredentialsFile}".`,
        ),
        profile: z
          .string()
          .min(1)
          .max(256)
          .default("default")
          .describe("The profile of the credentials file to use."),
      })
      .describe("Static credentials from an AWS credentials file.")
      .optional(),
    oidcExchangeToken: OIDCExchangeTokenSchema.extend({
      awsRoleArn: z
        .string()
        .min(1)
        .max(2048)
        .describe("The IAM role to assume with AssumeRoleWithWebIdentity."),
    })
      .describe("Temporary credentials from an OIDC token exchanged through AWS STS.")
      .optional(),
  })
  .meta({
    description:
      "Signs requests with AWS Signature Version 4. With neither credentialsFile nor oidcExchangeToken, the data plane signs with its pod's own AWS identity through the AWS SDK's default chain: IRSA, EKS Pod Identity or the instance role.",
    ...celRules({
      rule: "!(has(self.credentialsFile) && has(self.oidcExchangeToken))",
      message:
        "at most one of credentialsFile or oidcExchangeToken may be set; set neither to sign with the data plane pod's own AWS identity (IRSA, EKS Pod Identity or the instance role)",
    }),
  });

export const AzureCredentialsSchema = z
  .strictObject({
    clientID: z
      .string()
      .min(1)
      .max(256)
      .describe(
        "The Entra ID application (client) ID. With useManagedIdentity: the client ID of a user-assigned managed identity or of the workload identity; omit it for the system-assigned managed identity.",
      )
      .optional(),
    tenantID: z.string().min(1).max(256).describe("The Entra ID tenant ID."),
    clientSecretRef: SecretObjectReferenceSchema.describe(
      `The Secret holding the client secret under "${SECRET_KEYS.clientSecret}".`,
    ).optional(),
    oidcExchangeToken: OIDCExchangeTokenSchema.describe(
      "A federated OIDC token used as the client assertion.",
    ).optional(),
    useManagedIdentity: z
      .boolean()
      .describe(
        "Authenticates as the data plane pod's own Azure identity: AKS workload identity when the pod has a federated token (AZURE_FEDERATED_TOKEN_FILE), otherwise the node's managed identity (user-assigned when clientID is set, system-assigned when not).",
      )
      .optional(),
  })
  .meta({
    description:
      "Authenticates with an Entra ID access token for Azure OpenAI: from a client secret, a federated OIDC token, or the data plane pod's own identity (useManagedIdentity).",
    ...celRules(
      {
        rule: "has(self.useManagedIdentity) && self.useManagedIdentity ? (!has(self.clientSecretRef) && !has(self.oidcExchangeToken)) : (has(self.clientSecretRef) != has(self.oidcExchangeToken))",
        message:
          "When useManagedIdentity is true, clientSecretRef and oidcExchangeToken must not be specified. Otherwise, exactly one of clientSecretRef or oidcExchangeToken must be specified",
      },
      {
        rule: "(has(self.useManagedIdentity) && self.useManagedIdentity) || has(self.clientID)",
        message: "clientID is optional for system-assigned managed identity but required otherwise",
      },
    ),
  });

export const GCPWorkloadIdentityFederationSchema = z.strictObject({
  projectID: z
    .string()
    .min(1)
    .max(256)
    .describe("The project that owns the workload identity pool."),
  workloadIdentityPoolName: z.string().min(1).max(256).describe("The workload identity pool."),
  workloadIdentityProviderName: z
    .string()
    .min(1)
    .max(256)
    .describe("The provider in the workload identity pool."),
  oidcExchangeToken: OIDCExchangeTokenSchema,
  serviceAccountImpersonation: z
    .strictObject({
      serviceAccountName: z
        .string()
        .min(1)
        .max(256)
        .describe("The service account (name only) in projectName to impersonate."),
    })
    .describe("Impersonates a service account after the token exchange.")
    .optional(),
});

export const GCPCredentialsSchema = z
  .strictObject({
    projectName: z.string().min(1).max(256).describe("The GCP project of the Vertex AI endpoint."),
    region: z
      .string()
      .min(1)
      .max(64)
      .describe("The Vertex AI region, e.g. us-central1, or global."),
    credentialsFile: z
      .strictObject({
        secretRef: SecretObjectReferenceSchema.describe(
          `The Secret holding a service-account key under "${SECRET_KEYS.gcpServiceAccount}".`,
        ),
      })
      .describe("A service-account key file.")
      .optional(),
    workloadIdentityFederationConfig: GCPWorkloadIdentityFederationSchema.describe(
      "Workload identity federation: an OIDC token exchanged through Google STS.",
    ).optional(),
  })
  .meta({
    description:
      "Authenticates with a Google Cloud access token for Vertex AI. With neither credentialsFile nor workloadIdentityFederationConfig, the data plane uses its pod's Application Default Credentials: GKE Workload Identity or the node's service account (the metadata server), or the file GOOGLE_APPLICATION_CREDENTIALS names.",
    ...celRules({
      rule: "!(has(self.credentialsFile) && has(self.workloadIdentityFederationConfig))",
      message:
        "At most one of credentialsFile or workloadIdentityFederationConfig may be specified",
    }),
  });

export const PolicyTargetReferenceSchema = z.strictObject({
  group: groupName(`The target's API group: ${GROUP}.`),
  kind: kindName("The target's kind: AIServiceBackend."),
  name: z.string().min(1).max(253).describe("The name of the AIServiceBackend."),
});

const onlyMatchingFieldRules = POLICY_TYPES.map(type => {
  const field = CREDENTIAL_FIELD_BY_TYPE[type];
  const others = Object.values(CREDENTIAL_FIELD_BY_TYPE).filter(f => f !== field);
  return {
    rule: `self.type != '${type}' || (has(self.${field}) && ${others.map(o => `!has(self.${o})`).join(" && ")})`,
    message: `When type is ${type}, only ${field} field should be set`,
  };
});

export const BackendSecurityPolicySpecSchema = z
  .strictObject({
    targetRefs: z
      .array(PolicyTargetReferenceSchema)
      .max(16)
      .meta({
        description: "The AIServiceBackends whose upstream requests this policy authenticates.",
        ...celRules({
          rule: `self.all(t, t.group == '${GROUP}' && t.kind == 'AIServiceBackend')`,
          message: "targetRefs must reference AIServiceBackend resources",
        }),
      })
      .optional(),
    type: z.enum(POLICY_TYPES).describe(`The credential type: ${POLICY_TYPES.join(", ")}.`),
    apiKey: secretRefHolder("An API key sent as Authorization: Bearer.").optional(),
    awsCredentials: AWSCredentialsSchema.optional(),
    azureAPIKey: secretRefHolder("An Azure OpenAI key sent in the api-key header.").optional(),
    azureCredentials: AzureCredentialsSchema.optional(),
    gcpCredentials: GCPCredentialsSchema.optional(),
    anthropicAPIKey: secretRefHolder("An Anthropic key sent in the x-api-key header.").optional(),
  })
  .meta({
    description: "BackendSecurityPolicySpec holds the credentials for upstream requests.",
    ...celRules(...onlyMatchingFieldRules),
  });

export const BackendSecurityPolicySchema = kindObjectSchema(BackendSecurityPolicySpecSchema);

export type BackendSecurityPolicy = z.infer<typeof BackendSecurityPolicySchema>;
export type BackendSecurityPolicySpec = z.infer<typeof BackendSecurityPolicySpecSchema>;
export type PolicyTargetReference = z.infer<typeof PolicyTargetReferenceSchema>;
