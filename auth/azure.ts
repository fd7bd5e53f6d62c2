/**
 * Azure OpenAI with Entra ID: an access token for Cognitive Services from a client secret, from an
 * OIDC token presented as a federated client assertion, or (`useManagedIdentity`) from the data
 * plane pod's own identity: AKS workload identity when the pod has a federated token file, else the
 * node's managed identity through the instance metadata endpoint (IMDS).
 */
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import * as identity from "@azure/identity";
import type { ClientSecretCredentialOptions, TokenCredential } from "@azure/identity";
import type { BackendAuthConfig } from "../contract/credentials";
import { AuthError, describeFailure } from "./errors";
import { fetchOIDCToken } from "./oidc";
import { FetchedToken, TokenCache } from "./token-cache";
import {
  AuthRequest,
  AuthResult,
  BackendAuth,
  BackendAuthOptions,
  credentialMutation,
} from "./types";

type AzureConfig = Extract<BackendAuthConfig, { type: "AzureCredentials" }>;

/** The scope of Azure OpenAI / Cognitive Services data-plane tokens. */
export const AZURE_COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

/** Supplies the federated client assertion (the OIDC token). */
type AssertionSource = () => Promise<string>;

/** What AKS workload identity's webhook projects into a pod: the path of its federated token. */
const FEDERATED_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE";
/** The client ID the webhook takes from the service account's azure.workload.identity/client-id. */
const WORKLOAD_CLIENT_ID = "AZURE_CLIENT_ID";

/** Which of the pod's identities a `useManagedIdentity` policy uses, read from its environment. */
function podIdentity(config: AzureConfig): { workload: { clientId: string } | undefined } {
  if (!process.env[FEDERATED_TOKEN_FILE]) return { workload: undefined };
  const clientId = config.clientID ?? process.env[WORKLOAD_CLIENT_ID];
  if (!clientId) {
    throw new AuthError(
      "INVALID_CONFIG",
      `AzureCredentials: the pod has a workload identity token (${FEDERATED_TOKEN_FILE}) but no client ID: set clientID in the BackendSecurityPolicy, or annotate the data plane's service account with azure.workload.identity/client-id`,
    );
  }
  return { workload: { clientId } };
}

/** The pod's own identity: a fresh SDK credential, like the other sources (see fetchAzureToken). */
function podIdentityCredential(
  config: AzureConfig,
  entraOptions: ClientSecretCredentialOptions,
): TokenCredential {
  const { workload } = podIdentity(config);
  if (workload) {
    return new identity.WorkloadIdentityCredential({
      ...entraOptions,
      tenantId: config.tenantID,
      clientId: workload.clientId,
      // Read at each fetch: the kubelet rotates the projected token. The authority host is the
      // policy's, else AZURE_AUTHORITY_HOST as the webhook sets it (the SDK reads it).
      tokenFilePath: process.env[FEDERATED_TOKEN_FILE],
    });
  }
  // IMDS is plain http on a link-local address: no authority host, no extra CAs. Unlike the other
  // credentials, the SDK keeps managed identity tokens process-wide and answers from them until 5
  // minutes before expiry; a refresh that gets the held token back is due again at half its
  // remaining life (see TokenCache), when the SDK fetches a new one.
  return new identity.ManagedIdentityCredential({
    ...(config.clientID ? { clientId: config.clientID } : {}),
    retryOptions: { maxRetries: 0 },
  });
}

function credentialFor(
  config: AzureConfig,
  options: BackendAuthOptions,
  assertion?: AssertionSource,
): TokenCredential {
  const credentialOptions: ClientSecretCredentialOptions = {
    ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
    // Instance discovery asks the public cloud about the authority: wrong for a private one.
    ...(config.authorityHost ? { disableInstanceDiscovery: true } : {}),
    ...(options.caCertificates?.length
      ? // `ca` replaces the trust store: keep the public roots next to the extra CAs.
        { agent: new Agent({ ca: [...rootCertificates, ...options.caCertificates] }) }
      : {}),
    // The token cache retries on its own schedule.
    retryOptions: { maxRetries: 0 },
  };
  if (config.useManagedIdentity) return podIdentityCredential(config, credentialOptions);
  // The contract requires a clientID for the other sources.
  const clientID = config.clientID!;
  if (config.clientSecret !== undefined) {
    return new identity.ClientSecretCredential(
      config.tenantID,
      clientID,
      config.clientSecret,
      credentialOptions,
    );
  }
  if (!config.oidcExchangeToken || !assertion) {
    throw new AuthError(
      "INVALID_CONFIG",
      "AzureCredentials: set exactly one of clientSecret or oidcExchangeToken",
    );
  }
  return new identity.ClientAssertionCredential(
    config.tenantID,
    clientID,
    assertion,
    credentialOptions,
  );
}

/**
 * A token for the pod's own identity. A failure says which identity was tried and how to set one
 * up, with only the failure's status and code (an SDK message may quote what an endpoint answered).
 */
async function podIdentityToken(config: AzureConfig, credential: TokenCredential) {
  try {
    return await credential.getToken(AZURE_COGNITIVE_SERVICES_SCOPE);
  } catch (error) {
    // The SDK wraps what the endpoint said (status, OAuth code) in `cause`.
    const cause = (error as { cause?: unknown } | null)?.cause;
    const failure = describeFailure(cause ?? error);
    throw new AuthError(
      "TOKEN_UNAVAILABLE",
      podIdentity(config).workload
        ? `AKS workload identity gave no token (${failure}): check that the identity's federated credential trusts the data plane's service account, in tenant ${config.tenantID}`
        : `the managed identity endpoint (IMDS) gave no token (${failure}): give the data plane's nodes ${config.clientID ? `the user-assigned identity ${config.clientID}` : "a system-assigned managed identity"}, or set up AKS workload identity for its service account`,
    );
  }
}

/** Fetches one Entra ID token for Cognitive Services. */
export async function fetchAzureToken(
  config: AzureConfig,
  options: BackendAuthOptions = {},
  assertion?: AssertionSource,
): Promise<FetchedToken<string>> {
  // A fresh credential per fetch: the SDK's own cache would otherwise answer the background
  // refresh with the token it already holds, and the injected clock could not drive expiry.
  const credential = credentialFor(config, options, assertion);
  const token = config.useManagedIdentity
    ? await podIdentityToken(config, credential)
    : await credential.getToken(AZURE_COGNITIVE_SERVICES_SCOPE);
  if (!token?.token) throw new AuthError("TOKEN_RESPONSE_INVALID", "Entra ID returned no token");
  return { value: token.token, expiresInMs: token.expiresOnTimestamp - Date.now() };
}

/** An authenticator that sends `Authorization: Bearer <Entra ID token>`. */
export function createAzureAuth(
  config: AzureConfig,
  options: BackendAuthOptions = {},
): BackendAuth {
  const cacheOptions = {
    clock: options.clock,
    logger: options.logger,
    refreshAheadMs: options.refreshAheadMs,
    retryDelayMs: options.retryDelayMs,
  };
  const exchange = config.oidcExchangeToken;
  // The SDK asks for the assertion more than once per token request: cache it so the OIDC
  // provider sees one request per Entra ID refresh. On demand only: the assertion is fetched when
  // the SDK asks for it (and reused until it nears expiry), never on a timer of its own, which
  // would call the OIDC provider when no Entra ID token is being fetched.
  const assertions = exchange
    ? new TokenCache(() => fetchOIDCToken(exchange), {
        name: "Azure federation OIDC token",
        ...cacheOptions,
        refresh: "on-demand",
      })
    : undefined;
  const assertion = assertions ? () => assertions.get() : undefined;
  // The schema already requires exactly one of secret and assertion; this catches a config that
  // skipped it, at creation rather than per request.
  credentialFor(config, options, assertion);
  const cache = new TokenCache(() => fetchAzureToken(config, options, assertion), {
    name: "Azure Entra ID token",
    ...cacheOptions,
  });
  return {
    async authenticate(request: AuthRequest): Promise<AuthResult> {
      const token = await cache.get();
      return {
        path: request.path,
        headers: credentialMutation({ authorization: `Bearer ${token}` }, request.headers),
      };
    },
    warm: () => cache.warm(),
    ready: () => cache.peek() !== undefined,
    lastError: () => cache.lastError() ?? assertions?.lastError(),
    close: () => {
      cache.close();
      assertions?.close();
    },
  };
}
