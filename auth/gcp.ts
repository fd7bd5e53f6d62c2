/**
 * GCP Vertex AI: an OAuth access token (scope cloud-platform) from a service-account key, from
 * workload identity federation (OIDC token -> Google STS -> optional service-account
 * impersonation), or from Application Default Credentials; and the Vertex project/location path.
 *
 * The key-file and federation flows are plain OAuth requests made here rather than through
 * google-auth-library: its service-account client posts to a fixed token URL (ignoring the key's
 * `token_uri`), and its clients keep their own token caches, which would answer our early refresh
 * with the token we already hold. ADC (no credentials configured) still uses the library.
 */
import { createSign } from "node:crypto";
import { GoogleAuth } from "google-auth-library";
import type { BackendAuthConfig } from "./config";
import { AuthError } from "./errors";
import { endpointName, expiresInMs, postForm, postJSON, requireString } from "./http";
import { fetchOIDCToken } from "./oidc";
import { FetchedToken, TokenCache } from "./token-cache";
import {
  AuthRequest,
  AuthResult,
  BackendAuth,
  BackendAuthOptions,
  credentialMutation,
} from "./types";

type GCPConfig = Extract<BackendAuthConfig, { type: "GCPCredentials" }>;

/** The scope Vertex AI requires. */
export const GCP_CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_OAUTH_TOKEN_URL = "https://oauth2.googleapis.com/token";
const DEFAULT_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";
const DEFAULT_IAM_CREDENTIALS_URL = "https://iamcredentials.googleapis.com";
const ONE_HOUR = 60 * 60_000;

/** The Vertex AI host of a location (`global` has no regional prefix). */
export function vertexHost(region: string): string {
  return region === "global" ? "aiplatform.googleapis.com" : `${region}-aiplatform.googleapis.com`;
}

/** Prefixes a translator path (`publishers/...`) with the project and location. */
export function vertexPath(projectName: string, region: string, translatorPath: string): string {
  return `/v1/projects/${projectName}/locations/${region}/${translatorPath.replace(/^\/+/, "")}`;
}

/** The STS audience naming a workload identity pool provider. */
export function workloadIdentityAudience(
  federation: NonNullable<GCPConfig["workloadIdentityFederationConfig"]>,
): string {
  return (
    `//iam.googleapis.com/projects/${federation.projectID}/locations/global/` +
    `workloadIdentityPools/${federation.workloadIdentityPoolName}/providers/` +
    `${federation.workloadIdentityProviderName}`
  );
}

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

function parseServiceAccountKey(content: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(content) as Partial<ServiceAccountKey>;
  } catch {
    throw new AuthError("CREDENTIALS_FILE_INVALID", "GCP service-account key is not valid JSON");
  }
  for (const field of ["client_email", "private_key"] as const) {
    if (typeof key[field] !== "string" || key[field] === "") {
      throw new AuthError("CREDENTIALS_FILE_INVALID", `GCP service-account key has no ${field}`);
    }
  }
  return key as ServiceAccountKey;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString("base64url");

/** Exchanges a service-account key for an access token (OAuth 2.0 JWT bearer grant, RFC 7523). */
export async function fetchServiceAccountToken(
  key: ServiceAccountKey,
  tokenURL: string,
): Promise<FetchedToken<string>> {
  // The assertion's times are checked by Google against real time, not the injected clock.
  const issuedAt = Math.floor(Date.now() / 1000);
  const header = {
    alg: "RS256",
    typ: "JWT",
    ...(key.private_key_id ? { kid: key.private_key_id } : {}),
  };
  const claims = {
    iss: key.client_email,
    scope: GCP_CLOUD_PLATFORM_SCOPE,
    aud: tokenURL,
    iat: issuedAt,
    exp: issuedAt + 3600,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = createSign("RSA-SHA256").update(unsigned).sign(key.private_key, "base64url");
  } catch {
    throw new AuthError(
      "CREDENTIALS_FILE_INVALID",
      "GCP service-account private_key is not usable",
    );
  }
  const answer = await postForm(tokenURL, {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    assertion: `${unsigned}.${signature}`,
  });
  return {
    value: requireString(answer, "access_token", tokenURL),
    expiresInMs: expiresInMs(answer, ONE_HOUR),
  };
}

/** Workload identity federation: OIDC token -> Google STS -> optional impersonation. */
export async function fetchFederatedToken(config: GCPConfig): Promise<FetchedToken<string>> {
  const federation = config.workloadIdentityFederationConfig!;
  const stsURL = config.endpoints?.stsTokenURL ?? DEFAULT_STS_TOKEN_URL;
  const subject = await fetchOIDCToken(federation.oidcExchangeToken);
  const federated = await postForm(stsURL, {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    audience: workloadIdentityAudience(federation),
    scope: GCP_CLOUD_PLATFORM_SCOPE,
    requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    subject_token: subject.value,
  });
  const federatedToken = requireString(federated, "access_token", stsURL);
  const impersonation = federation.serviceAccountImpersonation;
  if (!impersonation) {
    return { value: federatedToken, expiresInMs: expiresInMs(federated, ONE_HOUR) };
  }
  const account = `${impersonation.serviceAccountName}@${config.projectName}.iam.gserviceaccount.com`;
  const base = (config.endpoints?.iamCredentialsURL ?? DEFAULT_IAM_CREDENTIALS_URL).replace(
    /\/+$/,
    "",
  );
  const impersonateURL = `${base}/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateAccessToken`;
  const answer = await postJSON(
    impersonateURL,
    { scope: [GCP_CLOUD_PLATFORM_SCOPE], lifetime: "3600s" },
    { authorization: `Bearer ${federatedToken}` },
  );
  const token = requireString(answer, "accessToken", impersonateURL);
  const expireTime = Date.parse(String(answer.expireTime));
  if (Number.isNaN(expireTime)) {
    throw new AuthError(
      "TOKEN_RESPONSE_INVALID",
      `${endpointName(impersonateURL)}: answer has no "expireTime"`,
    );
  }
  return { value: token, expiresInMs: expireTime - Date.now() };
}

/** Application Default Credentials (GKE workload identity, metadata server, env key file). */
async function fetchADCToken(): Promise<FetchedToken<string>> {
  const client = await new GoogleAuth({ scopes: [GCP_CLOUD_PLATFORM_SCOPE] }).getClient();
  const { token } = await client.getAccessToken();
  if (!token) throw new AuthError("TOKEN_RESPONSE_INVALID", "GCP default credentials: no token");
  const expiry = client.credentials.expiry_date;
  return { value: token, expiresInMs: expiry ? expiry - Date.now() : ONE_HOUR };
}

function tokenSource(config: GCPConfig): {
  name: string;
  fetch: () => Promise<FetchedToken<string>>;
} {
  if (config.credentialsFile) {
    // Parsed once, up front: a malformed key is a configuration error, not a request error.
    const key = parseServiceAccountKey(config.credentialsFile.content);
    const tokenURL = config.endpoints?.oauthTokenURL ?? key.token_uri ?? DEFAULT_OAUTH_TOKEN_URL;
    return {
      name: "GCP service-account token",
      fetch: () => fetchServiceAccountToken(key, tokenURL),
    };
  }
  if (config.workloadIdentityFederationConfig) {
    return { name: "GCP federated token", fetch: () => fetchFederatedToken(config) };
  }
  return { name: "GCP default-credentials token", fetch: fetchADCToken };
}

/** An authenticator for Vertex AI: bearer token plus the project/location path prefix. */
export function createGCPAuth(config: GCPConfig, options: BackendAuthOptions = {}): BackendAuth {
  const source = tokenSource(config);
  const cache = new TokenCache(source.fetch, {
    name: source.name,
    clock: options.clock,
    logger: options.logger,
    refreshAheadMs: options.refreshAheadMs,
    retryDelayMs: options.retryDelayMs,
  });
  const host = vertexHost(config.region);
  return {
    async authenticate(request: AuthRequest): Promise<AuthResult> {
      const token = await cache.get();
      return {
        path: vertexPath(config.projectName, config.region, request.path),
        host,
        headers: credentialMutation({ authorization: `Bearer ${token}` }, request.headers),
      };
    },
    warm: () => cache.warm(),
    lastError: () => cache.lastError(),
    close: () => cache.close(),
  };
}
