/**
 * AWS credentials from the data plane pod's own identity, through the AWS SDK's default provider
 * chain: what an AWSCredentials policy with only a `region` means, as in the reference. In order:
 * environment variables, shared config files, IRSA (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`),
 * EKS Pod Identity and ECS (the container credentials endpoint, `AWS_CONTAINER_CREDENTIALS_FULL_URI`
 * or `_RELATIVE_URI`), then the instance role (IMDS).
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { AuthError, safeCode } from "./errors";
import type { FetchedToken } from "./token-cache";
import type { AWSCredentialIdentity } from "./aws";

/** Credential endpoints are local (a sidecar, the node): a slow one is a broken one. */
const ENDPOINT_TIMEOUT_MS = 2_000;

/** Static credentials (environment, files) carry no expiry: read them again this often. */
const STATIC_LIFETIME_MS = 60 * 60_000;

/**
 * One walk of the default chain. A fresh chain each time: the SDK's own memoisation would answer a
 * refresh from its cache, and the caller's `TokenCache` already decides when to refresh. Failures
 * say which setups the chain looks for, never what an endpoint answered (it may echo a token).
 */
export async function fetchDefaultChainCredentials(
  region: string,
): Promise<FetchedToken<AWSCredentialIdentity>> {
  let identity;
  try {
    identity = await defaultProvider({
      timeout: ENDPOINT_TIMEOUT_MS,
      // The token cache retries on its own schedule.
      maxRetries: 1,
      // IRSA's AssumeRoleWithWebIdentity goes to the policy's region unless AWS_REGION says otherwise.
      clientConfig: { region: process.env.AWS_REGION ?? region },
    })();
  } catch (error) {
    const name = safeCode((error as { name?: unknown } | null)?.name);
    throw new AuthError(
      "TOKEN_UNAVAILABLE",
      `no credentials for the data plane pod${name ? ` (${name})` : ""}: give its service account an IAM role (IRSA or EKS Pod Identity), or set credentialsFile or oidcExchangeToken in the BackendSecurityPolicy`,
    );
  }
  return {
    value: {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
    },
    // Temporary credentials report an absolute time on the endpoint's clock.
    expiresInMs: identity.expiration
      ? identity.expiration.getTime() - Date.now()
      : STATIC_LIFETIME_MS,
  };
}
