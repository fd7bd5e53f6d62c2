/**
 * Fake identity providers on loopback that check grant parameters and answer like the real ones:
 * an OIDC issuer (discovery + client-credentials), AWS STS (XML), Google OAuth/STS/IAM credentials,
 * and Entra ID (over https: its SDK refuses http authorities).
 */
import { createVerify } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formOf,
  FakeServer,
  Gate,
  ReceivedRequest,
  sendJSON,
  startFakeServer,
} from "./fake-server";

/**
 * What a fake does with the next token requests: answer, reject them (4xx, echoing what was sent),
 * or (Google only) answer 503 as an overloaded endpoint does.
 */
export type FakeMode = "ok" | "fail" | "unavailable";

export interface FakeIssuer {
  server: FakeServer;
  mode: FakeMode;
  /** When set, token answers wait for it to open. */
  gate?: Gate;
  /** Token requests received, in order (discovery excluded). */
  tokenRequests: Array<Record<string, string>>;
  expiresIn: number;
}

/**
 * An OIDC issuer: `/.well-known/openid-configuration` and a client-credentials token endpoint that
 * accepts `clientID`/`clientSecret`. A failing answer echoes the secret, as careless servers do,
 * so tests prove it never reaches our messages.
 */
export async function startFakeIssuer(clientID: string, clientSecret: string): Promise<FakeIssuer> {
  const issuer: FakeIssuer = {
    server: undefined as unknown as FakeServer,
    mode: "ok",
    tokenRequests: [],
    expiresIn: 3600,
  };
  issuer.server = await startFakeServer(async (request, response) => {
    if (request.method === "GET" && request.url === "/.well-known/openid-configuration") {
      return sendJSON(response, 200, {
        issuer: issuer.server.url,
        token_endpoint: `${issuer.server.url}/oauth2/token`,
      });
    }
    const form = formOf(request);
    issuer.tokenRequests.push(form);
    await issuer.gate?.opened;
    const valid =
      request.url === "/oauth2/token" &&
      form.grant_type === "client_credentials" &&
      form.client_id === clientID &&
      form.client_secret === clientSecret;
    if (issuer.mode === "fail" || !valid) {
      return sendJSON(response, 401, {
        error: "invalid_client",
        error_description: `client_secret ${form.client_secret} rejected`,
      });
    }
    const n = issuer.tokenRequests.length;
    sendJSON(response, 200, {
      access_token: `oidc-access-${n}`,
      id_token: `oidc-id-token-${n}`,
      token_type: "Bearer",
      expires_in: issuer.expiresIn,
    });
  });
  return issuer;
}

export interface FakeAWSSTS {
  server: FakeServer;
  mode: FakeMode;
  /** When set, answers wait for it to open. */
  gate?: Gate;
  calls: Array<Record<string, string>>;
  /** Seconds until the issued credentials expire. */
  durationSeconds: number;
  /** The secret of each access key issued, for signature verification. */
  secrets: Map<string, string>;
}

/** AWS STS answering AssumeRoleWithWebIdentity in its Query-protocol XML. */
export async function startFakeAWSSTS(roleArn: string, acceptToken: RegExp): Promise<FakeAWSSTS> {
  const sts: FakeAWSSTS = {
    server: undefined as unknown as FakeServer,
    mode: "ok",
    calls: [],
    durationSeconds: 3600,
    secrets: new Map(),
  };
  sts.server = await startFakeServer(async (request, response) => {
    const form = formOf(request);
    sts.calls.push(form);
    await sts.gate?.opened;
    const valid =
      form.Action === "AssumeRoleWithWebIdentity" &&
      form.Version === "2011-06-15" &&
      form.RoleArn === roleArn &&
      /^ai-gateway-[\w+=,.@-]+$/.test(form.RoleSessionName ?? "") &&
      acceptToken.test(form.WebIdentityToken ?? "");
    response.setHeader("content-type", "text/xml");
    if (sts.mode === "fail" || !valid) {
      response.statusCode = 400;
      response.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
          `<Code>InvalidIdentityToken</Code><Message>token ${form.WebIdentityToken} rejected</Message>` +
          `</Error><RequestId>req-1</RequestId></ErrorResponse>`,
      );
      return;
    }
    const n = sts.calls.length;
    const accessKeyId = `ASIAFAKESTS0000000${String(n).padStart(2, "0")}`;
    const secret = `sts-secret-${n}`;
    sts.secrets.set(accessKeyId, secret);
    const expiration = new Date(Date.now() + sts.durationSeconds * 1000).toISOString();
    response.statusCode = 200;
    response.end(
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
      <SecretAccessKey>${secret}</SecretAccessKey>
      <SessionToken>sts-session-${n}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>client</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>${roleArn}/${form.RoleSessionName}</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
    <Provider>issuer</Provider>
    <Audience>client</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>req-${n}</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
    );
  });
  return sts;
}

export interface FakeGoogle {
  server: FakeServer;
  mode: FakeMode;
  /** When set, token answers (OAuth, STS, IAM) wait for it to open. */
  gate?: Gate;
  /** Requests to each endpoint. */
  oauth: Array<Record<string, string>>;
  sts: Array<Record<string, string>>;
  iam: ReceivedRequest[];
}

/** The claims of an RS256 JWT whose header and signature check out, else undefined. */
function verifyJWT(assertion: string, publicKeyPEM: string): Record<string, unknown> | undefined {
  const [header, claims, signature] = assertion.split(".");
  if (!header || !claims || !signature) return undefined;
  const decoded = (part: string) =>
    JSON.parse(Buffer.from(part, "base64url").toString()) as Record<string, unknown>;
  if (decoded(header).alg !== "RS256") return undefined;
  const ok = createVerify("RSA-SHA256")
    .update(`${header}.${claims}`)
    .verify(publicKeyPEM, Buffer.from(signature, "base64url"));
  return ok ? decoded(claims) : undefined;
}

/**
 * Google's OAuth token endpoint (JWT bearer grant, checking the assertion's RS256 signature and
 * claims), STS token exchange (`/v1/token`) and IAM credentials `generateAccessToken`.
 */
export async function startFakeGoogle(expect: {
  publicKeyPEM: string;
  clientEmail: string;
  audience: string;
  subjectToken: RegExp;
  serviceAccount: string;
}): Promise<FakeGoogle> {
  const google: FakeGoogle = {
    server: undefined as unknown as FakeServer,
    mode: "ok",
    oauth: [],
    sts: [],
    iam: [],
  };
  google.server = await startFakeServer(async (request, response) => {
    const deny = (status: number, error: string) =>
      sendJSON(response, status, {
        error,
        error_description: `rejected ${request.body.toString()}`,
      });
    if (google.mode === "unavailable") {
      if (request.url === "/oauth/token") google.oauth.push(formOf(request));
      else if (request.url === "/v1/token") google.sts.push(formOf(request));
      else google.iam.push(request);
      return deny(503, "temporarily_unavailable");
    }
    if (request.url === "/oauth/token") {
      const form = formOf(request);
      google.oauth.push(form);
      await google.gate?.opened;
      const claims = verifyJWT(form.assertion ?? "", expect.publicKeyPEM);
      const now = Date.now() / 1000;
      const valid =
        form.grant_type === "urn:ietf:params:oauth:grant-type:jwt-bearer" &&
        claims?.iss === expect.clientEmail &&
        claims?.aud === `${google.server.url}/oauth/token` &&
        claims?.scope === "https://www.googleapis.com/auth/cloud-platform" &&
        typeof claims.iat === "number" &&
        Math.abs(claims.iat - now) < 60 &&
        claims.exp === claims.iat + 3600;
      if (google.mode === "fail" || !valid) return deny(400, "invalid_grant");
      return sendJSON(response, 200, {
        access_token: `ya29.sa-${google.oauth.length}`,
        expires_in: 3599,
        token_type: "Bearer",
      });
    }
    if (request.url === "/v1/token") {
      const form = formOf(request);
      google.sts.push(form);
      await google.gate?.opened;
      const valid =
        form.grant_type === "urn:ietf:params:oauth:grant-type:token-exchange" &&
        form.audience === expect.audience &&
        form.scope === "https://www.googleapis.com/auth/cloud-platform" &&
        form.requested_token_type === "urn:ietf:params:oauth:token-type:access_token" &&
        form.subject_token_type === "urn:ietf:params:oauth:token-type:jwt" &&
        expect.subjectToken.test(form.subject_token ?? "");
      if (google.mode === "fail" || !valid) return deny(400, "invalid_request");
      return sendJSON(response, 200, {
        access_token: `ya29.federated-${google.sts.length}`,
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    const iamPath = `/v1/projects/-/serviceAccounts/${encodeURIComponent(expect.serviceAccount)}:generateAccessToken`;
    if (request.url === iamPath) {
      google.iam.push(request);
      await google.gate?.opened;
      const body = JSON.parse(request.body.toString()) as { scope?: string[] };
      const valid =
        /^Bearer ya29\.federated-\d+$/.test(request.headers.authorization ?? "") &&
        body.scope?.includes("https://www.googleapis.com/auth/cloud-platform");
      if (google.mode === "fail" || !valid) {
        return sendJSON(response, 403, {
          error: { code: 403, status: "PERMISSION_DENIED", message: "no" },
        });
      }
      return sendJSON(response, 200, {
        accessToken: `ya29.impersonated-${google.iam.length}`,
        expireTime: new Date(Date.now() + 3600_000).toISOString(),
      });
    }
    return deny(404, "not_found");
  });
  return google;
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this test run. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "auth-test-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FakeEntra {
  server: FakeServer;
  mode: FakeMode;
  /** When set, token answers wait for it to open. */
  gate?: Gate;
  tokenRequests: Array<Record<string, string>>;
  expiresIn: number;
}

/**
 * Entra ID for one tenant over https: the v2.0 discovery document and the token endpoint, which
 * accepts the client secret(s) (an application may hold two while one is rotated) and/or a client
 * assertion matching `assertion`.
 */
export async function startFakeEntra(
  tls: { key: string; cert: string },
  expect: {
    tenantID: string;
    clientID: string;
    clientSecret?: string | string[];
    assertion?: RegExp;
  },
): Promise<FakeEntra> {
  const secrets = [expect.clientSecret ?? []].flat();
  const entra: FakeEntra = {
    server: undefined as unknown as FakeServer,
    mode: "ok",
    tokenRequests: [],
    expiresIn: 3600,
  };
  entra.server = await startFakeServer(async (request, response) => {
    const base = `${entra.server.url}/${expect.tenantID}`;
    const path = request.url.split("?")[0];
    if (
      request.method === "GET" &&
      path === `/${expect.tenantID}/v2.0/.well-known/openid-configuration`
    ) {
      return sendJSON(response, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        issuer: `${base}/v2.0`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ["code"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (request.method === "POST" && path === `/${expect.tenantID}/oauth2/v2.0/token`) {
      const form = formOf(request);
      entra.tokenRequests.push(form);
      await entra.gate?.opened;
      const secretOK = form.client_secret !== undefined && secrets.includes(form.client_secret);
      const assertionOK =
        form.client_assertion_type === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
        (expect.assertion?.test(form.client_assertion ?? "") ?? false);
      const credentialOK = secretOK || assertionOK;
      const valid =
        form.grant_type === "client_credentials" &&
        form.client_id === expect.clientID &&
        form.scope?.split(" ").includes("https://cognitiveservices.azure.com/.default") &&
        credentialOK;
      if (entra.mode === "fail" || !valid) {
        return sendJSON(response, 401, {
          error: "invalid_client",
          error_description: `AADSTS7000215: Invalid client secret provided: ${form.client_secret ?? form.client_assertion}`,
          error_codes: [7000215],
        });
      }
      return sendJSON(response, 200, {
        token_type: "Bearer",
        expires_in: entra.expiresIn,
        ext_expires_in: entra.expiresIn,
        access_token: `entra-token-${entra.tokenRequests.length}`,
      });
    }
    sendJSON(response, 404, { error: "not_found" });
  }, tls);
  return entra;
}
