/**
 * Azure OpenAI with Entra ID: an access token for Cognitive Services from a client secret, or from
 * an OIDC token presented as a federated client assertion.
 */
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import * as identity from "@azure/identity";
import type { ClientSecretCredentialOptions, TokenCredential } from "@azure/identity";
import type { BackendAuthConfig } from "../contract/credentials";
import { AuthError } from "./errors";
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
  if (config.clientSecret !== undefined) {
    return new identity.ClientSecretCredential(
      config.tenantID,
      config.clientID,
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
    config.clientID,
    assertion,
    credentialOptions,
  );
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
  const token = await credential.getToken(AZURE_COGNITIVE_SERVICES_SCOPE);
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
