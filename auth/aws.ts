/**
 * AWS Bedrock: SigV4 (service `bedrock`) over the final translated request, with credentials from
 * the Secret's shared-credentials file, from an OIDC token exchanged through STS
 * AssumeRoleWithWebIdentity, or, when the policy names neither, from the data plane pod's own
 * identity through the AWS SDK's default chain (`aws-default-chain.ts`).
 */
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { parse as parseIni } from "ini";
import { systemClock } from "./clock";
import type { BackendAuthConfig } from "../contract/credentials";
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

/** STS calls give up after this long (connect, and then the whole answer). */
const STS_TIMEOUT_MS = 10_000;

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

// The STS client and the default provider chain are loaded on first use: each holds 12–16 MB of
// memory that a data plane signing with a credentials file never needs. require, not import():
// see extproc/main.ts.
/* eslint-disable @typescript-eslint/no-require-imports */
const stsClient = () => require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts");
const defaultChain = () => require("./aws-default-chain") as typeof import("./aws-default-chain");
/* eslint-enable @typescript-eslint/no-require-imports */

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
  const { AssumeRoleWithWebIdentityCommand, STSClient } = stsClient();
  const sts = new STSClient({
    region: config.region,
    ...(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
    // The token cache retries on its own schedule; SDK retries would multiply the attempts.
    maxAttempts: 1,
    // Requests without a valid credential wait for this call: STS that hangs must not hold them.
    requestHandler: { connectionTimeout: STS_TIMEOUT_MS, requestTimeout: STS_TIMEOUT_MS },
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

/**
 * The SigV4 signer the handler signs with: node:crypto hashing, and the canonical URI built by
 * escaping the path once more. Request paths arrive as sent on the wire (the translator has
 * already URL-encoded the model id), and every service but S3 signs the wire path encoded again
 * (`%3A` -> `%253A`, `/ሴ` -> `/%E1%88%B4`). `applyChecksum: false` is only for the AWS test-suite
 * vectors, which predate `x-amz-content-sha256`; the handler always signs the body hash.
 */
export function createSigV4Signer(options: {
  credentials: AWSCredentialIdentity | (() => Promise<AWSCredentialIdentity>);
  region: string;
  service?: string;
  applyChecksum?: boolean;
}): SignatureV4 {
  return new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? BEDROCK_SIGNING_SERVICE,
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: options.applyChecksum ?? true,
  });
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
    const fetch = config.oidcExchangeToken
      ? () => assumeRoleWithOIDC(config, () => clock.now())
      : () => defaultChain().fetchDefaultChainCredentials(config.region);
    const tokens = new TokenCache(fetch, {
      name: config.oidcExchangeToken ? "AWS STS credentials" : "AWS default chain credentials",
      clock,
      logger: options.logger,
      refreshAheadMs: options.refreshAheadMs,
      retryDelayMs: options.retryDelayMs,
    });
    cache = tokens;
    credentials = () => tokens.get();
  }
  const signer = createSigV4Signer({ credentials, region: config.region });
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
    ready: () => cache === undefined || cache.peek() !== undefined,
    lastError: () => cache?.lastError(),
    close: () => cache?.close(),
  };
}

/**
 * The request as SigV4 sees it. Only `host` and `content-type` are signed with the `x-amz-*`
 * headers the signer adds: Envoy adds and rewrites other headers after ext_proc, which would break
 * a signature over them. The path stays as sent; the query is decoded into parameters, which the
 * signer encodes and sorts.
 */
export function toSignable(request: AuthRequest, host: string): HttpRequest {
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
