/**
 * Resolves a BackendSecurityPolicy into the credentials the data plane uses, reading the values from
 * the user's Secrets. The result goes only into the ext_proc configuration Secrets.
 */
import { BackendSecurityPolicySpec, SECRET_KEYS, SecretObjectReference } from "../api/v1alpha1";
import type { BackendAuthConfig } from "../contract/credentials";
import type { ClusterView } from "./cluster-view";
import type { Problem } from "./resolved";

type OIDCExchange = NonNullable<
  NonNullable<BackendSecurityPolicySpec["azureCredentials"]>["oidcExchangeToken"]
>;

/** Thrown inside resolution to stop at the first Secret that is missing or lacks its key. */
class MissingSecret extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

function secretValue(
  view: ClusterView,
  namespace: string,
  ref: SecretObjectReference,
  key: string,
): string {
  const secret = view.secret(namespace, ref.name);
  if (!secret) {
    throw new MissingSecret({
      reason: "SecretNotFound",
      message: `Secret "${ref.name}" not found in namespace "${namespace}"`,
    });
  }
  const encoded = secret.data?.[key];
  if (encoded === undefined) {
    throw new MissingSecret({
      reason: "SecretKeyMissing",
      message: `Secret "${ref.name}" in namespace "${namespace}" has no key "${key}"`,
    });
  }
  return Buffer.from(encoded, "base64").toString("utf8");
}

function oidcExchange(view: ClusterView, namespace: string, token: OIDCExchange) {
  return {
    oidc: {
      issuer: token.oidc.provider.issuer,
      ...(token.oidc.provider.tokenEndpoint
        ? { tokenEndpoint: token.oidc.provider.tokenEndpoint }
        : {}),
      clientID: token.oidc.clientID,
      clientSecret: secretValue(view, namespace, token.oidc.clientSecret, SECRET_KEYS.clientSecret),
      ...(token.oidc.scopes ? { scopes: token.oidc.scopes } : {}),
    },
    ...(token.grantType ? { grantType: token.grantType } : {}),
    ...(token.aud ? { aud: token.aud } : {}),
  };
}

function authConfigOf(
  view: ClusterView,
  namespace: string,
  spec: BackendSecurityPolicySpec,
): BackendAuthConfig {
  const secret = (ref: SecretObjectReference, key: string) =>
    secretValue(view, namespace, ref, key);
  switch (spec.type) {
    case "APIKey":
      return { type: "APIKey", apiKey: secret(spec.apiKey!.secretRef, SECRET_KEYS.apiKey) };
    case "AzureAPIKey":
      return {
        type: "AzureAPIKey",
        apiKey: secret(spec.azureAPIKey!.secretRef, SECRET_KEYS.apiKey),
      };
    case "AnthropicAPIKey":
      return {
        type: "AnthropicAPIKey",
        apiKey: secret(spec.anthropicAPIKey!.secretRef, SECRET_KEYS.apiKey),
      };
    case "AWSCredentials": {
      const aws = spec.awsCredentials!;
      return {
        type: "AWSCredentials",
        region: aws.region,
        ...(aws.credentialsFile
          ? {
              credentialsFile: {
                content: secret(aws.credentialsFile.secretRef, SECRET_KEYS.awsCredentialsFile),
                profile: aws.credentialsFile.profile,
              },
            }
          : {}),
        ...(aws.oidcExchangeToken
          ? {
              oidcExchangeToken: {
                ...oidcExchange(view, namespace, aws.oidcExchangeToken),
                awsRoleArn: aws.oidcExchangeToken.awsRoleArn,
              },
            }
          : {}),
      };
    }
    case "AzureCredentials": {
      const azure = spec.azureCredentials!;
      return {
        type: "AzureCredentials",
        ...(azure.clientID !== undefined ? { clientID: azure.clientID } : {}),
        tenantID: azure.tenantID,
        ...(azure.useManagedIdentity ? { useManagedIdentity: true } : {}),
        ...(azure.clientSecretRef
          ? { clientSecret: secret(azure.clientSecretRef, SECRET_KEYS.clientSecret) }
          : {}),
        ...(azure.oidcExchangeToken
          ? { oidcExchangeToken: oidcExchange(view, namespace, azure.oidcExchangeToken) }
          : {}),
      };
    }
    case "GCPCredentials": {
      const gcp = spec.gcpCredentials!;
      const federation = gcp.workloadIdentityFederationConfig;
      return {
        type: "GCPCredentials",
        projectName: gcp.projectName,
        region: gcp.region,
        ...(gcp.credentialsFile
          ? {
              credentialsFile: {
                content: secret(gcp.credentialsFile.secretRef, SECRET_KEYS.gcpServiceAccount),
              },
            }
          : {}),
        ...(federation
          ? {
              workloadIdentityFederationConfig: {
                projectID: federation.projectID,
                workloadIdentityPoolName: federation.workloadIdentityPoolName,
                workloadIdentityProviderName: federation.workloadIdentityProviderName,
                oidcExchangeToken: oidcExchange(view, namespace, federation.oidcExchangeToken),
                ...(federation.serviceAccountImpersonation
                  ? { serviceAccountImpersonation: federation.serviceAccountImpersonation }
                  : {}),
              },
            }
          : {}),
      };
    }
  }
}

/** The policy's credentials, or why they cannot be read (a missing Secret or key). */
export function resolveCredentials(
  view: ClusterView,
  namespace: string,
  spec: BackendSecurityPolicySpec,
): { auth: BackendAuthConfig } | { problem: Problem } {
  try {
    return { auth: authConfigOf(view, namespace, spec) };
  } catch (error) {
    if (error instanceof MissingSecret) return { problem: error.problem };
    throw error;
  }
}
