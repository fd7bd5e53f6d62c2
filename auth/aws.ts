/**
 * AWS Bedrock: SigV4 (service `bedrock`) over the final translated request, with credentials from
 * the Secret's shared-credentials file, from an OIDC token exchanged through STS
 * AssumeRoleWithWebIdentity, or (neither configured) from the AWS SDK's default chain.
 */
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { parse as parseIni } from "ini";
import { systemClock } from "./clock";
import type { BackendAuthConfig } from "./config";
import { AuthError } from "./errors";
import { NodeSha256 } from "./node-sha256";
import { fetchOIDCToken } from "./oidc";
import { FetchedToken, TokenCache } from "./token-cache";
import {
  AuthRequest,
  AuthResult,
  BackendAuth,
  BackendAuthOptions,
  credentialMutation,
} from "./types";

type AWSConfig = Extract<BackendAuthConfig, { type: "AWSCredentials" }>;

/** The credentials SigV4 signs with. */
export interface AWSCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The signing name of Bedrock runtime APIs. */
export const BEDROCK_SIGNING_SERVICE = "bedrock";

/** The public Bedrock runtime host of a region, used when the backend names no host. */
export function defaultBedrockHost(region: string): string {
  return `bedrock-runtime.${region}.amazonaws.com`;
}

/**
 * Reads one profile of an AWS shared-credentials file. Errors name the profile and the missing key,
 * never the file's content.
 */
export function parseCredentialsFile(content: string, profile = "default"): AWSCredentialIdentity {
  let sections: Record<string, unknown>;
  try {
    sections = parseIni(content);
  } catch {
    throw new AuthError("CREDENTIALS_FILE_INVALID", "AWS credentials file is not valid INI");
  }
  const section = sections[profile] as Record<string, unknown> | undefined;
  if (typeof section !== "object" || section === null) {
    throw new AuthError(
      "CREDENTIALS_FILE_INVALID",
      `AWS credentials file has no profile "${profile}"`,
    );
  }
  const field = (key: string): string | undefined => {
    const value = section[key];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const accessKeyId = field("aws_access_key_id");
  const secretAccessKey = field("aws_secret_access_key");
  if (!accessKeyId || !secretAccessKey) {
    const missing = accessKeyId ? "aws_secret_access_key" : "aws_access_key_id";
    throw new AuthError(
      "CREDENTIALS_FILE_INVALID",
      `AWS credentials file profile "${profile}" has no ${missing}`,
    );
  }
  const sessionToken = field("aws_session_token");
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
}

/**
 * Exchanges a fresh OIDC token for temporary credentials of `awsRoleArn` with STS
 * AssumeRoleWithWebIdentity (an unsigned call: the web identity token is the proof).
 */
export async function assumeRoleWithOIDC(
  config: AWSConfig,
  now: () => number,
): Promise<FetchedToken<AWSCredentialIdentity>> {
  const exchange = config.oidcExchangeToken!;
  const webIdentity = await fetchOIDCToken(exchange);
  const sts = new STSClient({
    region: config.region,
    ...(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
    // The token cache retries on its own schedule; SDK retries would multiply the attempts.
    maxAttempts: 1,
  });
  try {
    const answer = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: exchange.awsRoleArn,
        RoleSessionName: `ai-gateway-${now()}`,
        WebIdentityToken: webIdentity.value,
      }),
    );
    const credentials = answer.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new AuthError(
        "TOKEN_RESPONSE_INVALID",
        "STS AssumeRoleWithWebIdentity: no Credentials",
      );
    }
    const expiresAt = credentials.Expiration?.getTime() ?? Date.now() + 60 * 60_000;
    return {
      value: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
      },
      // STS reports an absolute time on its own clock; the cache counts on the injected one.
      expiresInMs: expiresAt - Date.now(),
    };
  } finally {
    sts.destroy();
  }
}

/** Credentials from the AWS SDK default chain (environment, web identity, pod identity, IMDS). */
async function defaultChainCredentials(
  config: AWSConfig,
): Promise<FetchedToken<AWSCredentialIdentity>> {
  const sts = new STSClient({ region: config.region });
  try {
    const identity = await sts.config.credentials();
    const expiresInMs = identity.expiration
      ? identity.expiration.getTime() - Date.now()
      : 60 * 60_000;
    return {
      value: {
        accessKeyId: identity.accessKeyId,
        secretAccessKey: identity.secretAccessKey,
        ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
      },
      expiresInMs,
    };
  } finally {
    sts.destroy();
  }
}

/** A SigV4 authenticator for Bedrock. */
export function createAWSAuth(config: AWSConfig, options: BackendAuthOptions = {}): BackendAuth {
  const clock = options.clock ?? systemClock;
  let credentials: () => Promise<AWSCredentialIdentity>;
  let cache: TokenCache<AWSCredentialIdentity> | undefined;
  if (config.credentialsFile) {
    // Parsed once, up front: a malformed file is a configuration error, not a request error.
    const fixed = parseCredentialsFile(
      config.credentialsFile.content,
      config.credentialsFile.profile,
    );
    credentials = () => Promise.resolve(fixed);
  } else {
    cache = new TokenCache(
      config.oidcExchangeToken
        ? () => assumeRoleWithOIDC(config, () => clock.now())
        : () => defaultChainCredentials(config),
      {
        name: config.oidcExchangeToken ? "AWS STS credentials" : "AWS default-chain credentials",
        clock,
        logger: options.logger,
        refreshAheadMs: options.refreshAheadMs,
        retryDelayMs: options.retryDelayMs,
      },
    );
    credentials = () => cache!.get();
  }
  const signer = new SignatureV4({
    credentials,
    region: config.region,
    service: BEDROCK_SIGNING_SERVICE,
    sha256: NodeSha256,
    // The translator already URL-encodes the model id; escaping again yields the double-encoded
    // canonical URI AWS expects (`%3A` -> `%253A`).
    uriEscapePath: true,
  });
  const defaultHost = defaultBedrockHost(config.region);

  return {
    async authenticate(request: AuthRequest): Promise<AuthResult> {
      const host = request.host ?? defaultHost;
      const signed = await signer.sign(toSignable(request, host), {
        signingDate: new Date(clock.now()),
      });
      const set: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) {
        const lower = name.toLowerCase();
        if (lower === "authorization" || lower.startsWith("x-amz-")) set[lower] = value;
      }
      return { path: request.path, host, headers: credentialMutation(set, request.headers) };
    },
    warm: async () => {
      await cache?.warm();
    },
    lastError: () => cache?.lastError(),
    close: () => cache?.close(),
  };
}

/**
 * The request as SigV4 sees it. Only `host` and `content-type` are signed with the `x-amz-*`
 * headers the signer adds: Envoy adds and rewrites other headers after ext_proc, which would break
 * a signature over them.
 */
function toSignable(request: AuthRequest, host: string): HttpRequest {
  const queryStart = request.path.indexOf("?");
  const path = queryStart < 0 ? request.path : request.path.slice(0, queryStart);
  const query: Record<string, string | string[]> = {};
  if (queryStart >= 0) {
    for (const [key, value] of new URLSearchParams(request.path.slice(queryStart + 1))) {
      const existing = query[key];
      query[key] =
        existing === undefined
          ? value
          : Array.isArray(existing)
            ? [...existing, value]
            : [existing, value];
    }
  }
  const headers: Record<string, string> = { host };
  const contentType = request.headers["content-type"];
  if (contentType) headers["content-type"] = contentType;
  return new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: "https:",
    hostname: host,
    path,
    query,
    headers,
    body: request.body,
  });
}
