/**
 * GCP Vertex AI: an OAuth access token (scope cloud-platform) from a service-account key or from
 * workload identity federation (OIDC token -> Google STS -> optional service-account
 * impersonation), or, with neither configured, from the data plane pod's own identity through
 * Application Default Credentials; and the Vertex project/location path.
 *
 * Federation uses google-auth-library's `IdentityPoolClient`: the OIDC token comes in through its
 * subject-token supplier, and its STS `token_url` and `service_account_impersonation_url` are
 * configurable, so it serves private endpoints and the local fakes of the tests alike.
 *
 * Service-account keys use a JWT-bearer grant written here instead: the library's JWT client
 * (`gtoken`) posts to, and sets the assertion audience to, a hard-coded
 * `https://oauth2.googleapis.com/token` (`build/src/gtoken/getToken.js` and `jwsSign.js` in
 * google-auth-library 10.9), ignoring the key's `token_uri` and `endpoints.oauthTokenURL`. It could
 * reach neither a private token endpoint nor a test server. (Application Default Credentials do use
 * that client when GOOGLE_APPLICATION_CREDENTIALS names a service-account key: the pod's own
 * setup, which reaches Google's public endpoint.)
 */
import { createSign } from "node:crypto";
import { gaxios, gcpMetadata, GoogleAuth, IdentityPoolClient } from "google-auth-library";
import type { IdentityPoolClientOptions } from "google-auth-library";
// Not re-exported by the package index; see `GatewayIdentityPoolClient` for why it is needed.
import { StsCredentials } from "google-auth-library/build/src/auth/stscredentials";
import type { BackendAuthConfig } from "../contract/credentials";
import { AuthError, describeFailure, safeCode } from "./errors";
import { endpointName, expiresInMs, postForm, requireString } from "./http";
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
type FederationConfig = NonNullable<GCPConfig["workloadIdentityFederationConfig"]>;

/** The scope Vertex AI requires. */
export const GCP_CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_OAUTH_TOKEN_URL = "https://oauth2.googleapis.com/token";
const DEFAULT_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";
const DEFAULT_IAM_CREDENTIALS_URL = "https://iamcredentials.googleapis.com";
const JWT_SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
/** Token calls give up after this long, as in ./http. */
const TIMEOUT_MS = 10_000;
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
export function workloadIdentityAudience(federation: FederationConfig): string {
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

/**
 * Exchanges a service-account key for an access token (OAuth 2.0 JWT bearer grant, RFC 7523) at
 * `tokenURL`, which is also the assertion's audience. Hand-written rather than google-auth-library's
 * JWT client, whose token URL and audience are fixed to Google's public endpoint (module comment).
 */
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

/** The impersonated service account's `generateAccessToken` URL. */
export function impersonationURL(config: GCPConfig, serviceAccountName: string): string {
  const account = `${serviceAccountName}@${config.projectName}.iam.gserviceaccount.com`;
  const base = (config.endpoints?.iamCredentialsURL ?? DEFAULT_IAM_CREDENTIALS_URL).replace(
    /\/+$/,
    "",
  );
  return `${base}/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateAccessToken`;
}

/**
 * `IdentityPoolClient` with two changes. Its STS call is made through our transporter: the library
 * builds its STS client without passing the `transporter` option on, which would leave that call
 * with gaxios defaults (up to three retries with back-off, no timeout), while a request without a
 * valid token waits on it and the token cache retries on its own schedule. And `exchange()` always
 * exchanges anew: the library's own cache would answer our early refresh, timed on the injected
 * clock, with the token we already hold.
 */
class GatewayIdentityPoolClient extends IdentityPoolClient {
  constructor(options: IdentityPoolClientOptions, tokenURL: string, transporter: gaxios.Gaxios) {
    super({ ...options, transporter });
    this.stsCredential = new StsCredentials({ tokenExchangeEndpoint: tokenURL, transporter });
  }

  exchange() {
    return this.refreshAccessTokenAsync();
  }
}

/**
 * Workload identity federation: OIDC token -> Google STS -> optional impersonation, through
 * google-auth-library. Returns the fetch the token cache calls.
 */
export function federatedTokenSource(config: GCPConfig): () => Promise<FetchedToken<string>> {
  const federation = config.workloadIdentityFederationConfig!;
  const stsURL = config.endpoints?.stsTokenURL ?? DEFAULT_STS_TOKEN_URL;
  const impersonation = federation.serviceAccountImpersonation;
  const impersonateURL = impersonation
    ? impersonationURL(config, impersonation.serviceAccountName)
    : undefined;
  const transporter = new gaxios.Gaxios({
    fetchImplementation: fetch,
    timeout: TIMEOUT_MS,
    // The token cache retries on its own schedule; library retries would multiply the attempts.
    retryConfig: { retry: 0, noResponseRetries: 0 },
  });
  const client = new GatewayIdentityPoolClient(
    {
      type: "external_account",
      audience: workloadIdentityAudience(federation),
      subject_token_type: JWT_SUBJECT_TOKEN_TYPE,
      token_url: stsURL,
      ...(impersonateURL ? { service_account_impersonation_url: impersonateURL } : {}),
      subject_token_supplier: {
        getSubjectToken: async () => (await fetchOIDCToken(federation.oidcExchangeToken)).value,
      },
      scopes: [GCP_CLOUD_PLATFORM_SCOPE],
    },
    stsURL,
    transporter,
  );
  const answeredBy = impersonateURL ?? stsURL;
  return async () => {
    let credentials: Awaited<ReturnType<GatewayIdentityPoolClient["exchange"]>>;
    try {
      credentials = await client.exchange();
    } catch (error) {
      throw googleFailure(error);
    }
    const token = credentials.access_token;
    if (typeof token !== "string" || token === "") {
      const field = impersonateURL ? "accessToken" : "access_token";
      throw new AuthError(
        "TOKEN_RESPONSE_INVALID",
        `${endpointName(answeredBy)}: answer has no "${field}"`,
      );
    }
    const expiry = credentials.expiry_date;
    // An STS answer without `expires_in` leaves no expiry; an impersonation answer without a
    // readable `expireTime` leaves NaN.
    if (expiry === null || expiry === undefined) return { value: token, expiresInMs: ONE_HOUR };
    if (Number.isNaN(expiry)) {
      throw new AuthError(
        "TOKEN_RESPONSE_INVALID",
        `${endpointName(answeredBy)}: answer has no "expireTime"`,
      );
    }
    // The library dates expiry on the real clock; the cache counts on the injected one.
    return { value: token, expiresInMs: expiry - Date.now() };
  };
}

/**
 * A google-auth-library failure as a safe `AuthError`: the endpoint, HTTP status and OAuth (or
 * Google RPC) error code only. The library's own message quotes the answer's
 * `error_description`, which may echo the request and its subject token.
 */
function googleFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error; // from the subject-token supplier
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    config?: { url?: unknown };
    response?: { status?: unknown; data?: unknown };
  };
  const where =
    e.config?.url !== undefined ? endpointName(String(e.config.url)) : "Google token exchange";
  const status = e.response?.status;
  if (typeof status !== "number") {
    return new AuthError("TOKEN_ENDPOINT_FAILED", `${where}: ${describeFailure(error)}`);
  }
  const body = e.response?.data as { error?: unknown } | undefined;
  const code = safeCode(body?.error) ?? safeCode((body?.error as { status?: unknown })?.status);
  return new AuthError(
    "TOKEN_ENDPOINT_FAILED",
    `${where}: HTTP ${status}${code ? ` ${code}` : ""}`,
  );
}

/**
 * Application Default Credentials: the pod's own Google identity, found as google-auth-library
 * finds it: the file GOOGLE_APPLICATION_CREDENTIALS names (a service-account key or an
 * external-account configuration), gcloud's well-known file, else the metadata server (GKE
 * Workload Identity, or the node's service account; GCE_METADATA_HOST points elsewhere). Returns
 * the fetch the token cache calls.
 */
export function defaultCredentialsSource(config: GCPConfig): () => Promise<FetchedToken<string>> {
  return async () => {
    // A fresh GoogleAuth per fetch: its client would answer our early refresh, timed on the
    // injected clock, with the token it already holds. The project is the policy's, so the
    // library does not look one up.
    const auth = new GoogleAuth({
      scopes: [GCP_CLOUD_PLATFORM_SCOPE],
      projectId: config.projectName,
    });
    let client: Awaited<ReturnType<GoogleAuth["getClient"]>>;
    try {
      client = await auth.getClient();
    } catch (error) {
      // The library remembers a metadata server that did not answer for the life of the
      // process: forget it, so the next attempt sees one that has come up since.
      gcpMetadata.resetIsAvailableCache();
      throw new AuthError(
        "TOKEN_UNAVAILABLE",
        `no Application Default Credentials for the data plane pod (${describeFailure(error)}): give its service account a Google identity (GKE Workload Identity), or set credentialsFile or workloadIdentityFederationConfig in the BackendSecurityPolicy`,
      );
    }
    let token: string | null | undefined;
    try {
      ({ token } = await client.getAccessToken());
    } catch (error) {
      throw googleFailure(error);
    }
    if (!token) {
      throw new AuthError(
        "TOKEN_RESPONSE_INVALID",
        "Application Default Credentials gave no token",
      );
    }
    const expiry = client.credentials.expiry_date;
    // The library dates expiry on the real clock; the cache counts on the injected one.
    return {
      value: token,
      expiresInMs: typeof expiry === "number" ? expiry - Date.now() : ONE_HOUR,
    };
  };
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
    return { name: "GCP federated token", fetch: federatedTokenSource(config) };
  }
  return { name: "GCP default credentials token", fetch: defaultCredentialsSource(config) };
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
    ready: () => cache.peek() !== undefined,
    lastError: () => cache.lastError(),
    close: () => cache.close(),
  };
}
