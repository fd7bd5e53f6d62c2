import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import type { BackendAuth } from "../../auth/types";
import { startFakeAWSSTS } from "./support/fake-idp";
import { FakeServer, sendJSON, startFakeServer } from "./support/fake-server";
import { captureLogs } from "./support/log-capture";
import { verifyAuthenticated } from "./support/sigv4-verifier";

const ACCESS_KEY = "ASIAPODIDENTITY00001";
const SECRET_KEY = "pod-identity-secret-access-key";
const SESSION_TOKEN = "pod-identity-session-token";
/** What the EKS Pod Identity agent checks: the token the kubelet projects into the pod. */
const AGENT_TOKEN = "projected-service-account-token";

/**
 * The container credentials endpoint as EKS Pod Identity (and ECS) serve it: GET with the pod's
 * token in Authorization, temporary credentials back.
 */
async function startFakeContainerCredentials(): Promise<FakeServer> {
  return startFakeServer((request, response) => {
    if (request.method !== "GET" || request.headers.authorization !== AGENT_TOKEN) {
      sendJSON(response, 401, { message: "unauthorized" });
      return;
    }
    sendJSON(response, 200, {
      AccessKeyId: ACCESS_KEY,
      SecretAccessKey: SECRET_KEY,
      Token: SESSION_TOKEN,
      Expiration: new Date(Date.now() + 60 * 60_000).toISOString(),
    });
  });
}

/** Environment variables of other links of the chain, cleared so only the one under test answers. */
const CHAIN_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_STS",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

describe("AWS credentials from the pod's own identity (the AWS SDK's default chain)", () => {
  let saved: NodeJS.ProcessEnv;
  let endpoint: FakeServer;
  let auth: BackendAuth | undefined;

  beforeEach(async () => {
    saved = { ...process.env };
    for (const name of CHAIN_VARIABLES) delete process.env[name];
    // No shared files and no instance metadata: the chain must not reach outside the test.
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/aws/credentials";
    process.env.AWS_CONFIG_FILE = "/nonexistent/aws/config";
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    endpoint = await startFakeContainerCredentials();
  });
  afterEach(async () => {
    auth?.close();
    auth = undefined;
    process.env = saved;
    await endpoint.close();
  });

  const request = {
    method: "POST",
    host: "bedrock-runtime.us-east-1.amazonaws.com",
    path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
    headers: { "content-type": "application/json" },
    body: new TextEncoder().encode('{"messages":[]}'),
  };

  it("signs with EKS Pod Identity credentials from the container credentials endpoint", async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${endpoint.url}/v1/credentials`;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = AGENT_TOKEN;
    auth = createBackendAuth({ type: "AWSCredentials", region: "us-east-1" });
    await auth.warm();
    expect(auth.ready()).toBe(true);
    expect(endpoint.requests.map(r => [r.method, r.url])).toEqual([["GET", "/v1/credentials"]]);

    const result = await auth.authenticate(request);
    expect(result.headers.set["x-amz-security-token"]).toBe(SESSION_TOKEN);
    const verification = verifyAuthenticated(request, result, id =>
      id === ACCESS_KEY ? SECRET_KEY : undefined,
    );
    expect(verification).toMatchObject({ ok: true });

    // Cached: a second request does not ask the endpoint again.
    await auth.authenticate(request);
    expect(endpoint.requests).toHaveLength(1);
  });

  it("signs with IRSA credentials: the projected token exchanged at STS for the role", async () => {
    const roleArn = "arn:aws:iam::123456789012:role/ai-gateway-extproc";
    const projected = "projected-irsa-token";
    const sts = await startFakeAWSSTS(roleArn, new RegExp(`^${projected}$`));
    const tokenDir = mkdtempSync(join(tmpdir(), "irsa-"));
    try {
      // What EKS injects into a pod whose service account names a role.
      const tokenFile = join(tokenDir, "token");
      writeFileSync(tokenFile, projected);
      process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile;
      process.env.AWS_ROLE_ARN = roleArn;
      process.env.AWS_ROLE_SESSION_NAME = "ai-gateway-extproc";
      // The regional STS endpoint, here the fake one.
      process.env.AWS_ENDPOINT_URL_STS = sts.server.url;
      auth = createBackendAuth({ type: "AWSCredentials", region: "us-east-1" });
      await auth.warm();
      expect(sts.calls.map(call => [call.Action, call.RoleArn, call.WebIdentityToken])).toEqual([
        ["AssumeRoleWithWebIdentity", roleArn, projected],
      ]);

      const result = await auth.authenticate(request);
      expect(result.headers.set["x-amz-security-token"]).toBe("sts-session-1");
      const verification = verifyAuthenticated(request, result, id => sts.secrets.get(id));
      expect(verification).toMatchObject({ ok: true });
      // Cached: a second request does not go to STS again.
      await auth.authenticate(request);
      expect(sts.calls).toHaveLength(1);
    } finally {
      await sts.server.close();
      rmSync(tokenDir, { recursive: true, force: true });
    }
  });

  it("without any identity, says what to set up, and logs no credential", async () => {
    const logs = captureLogs();
    try {
      auth = createBackendAuth({ type: "AWSCredentials", region: "us-east-1" });
      const failure = await auth.authenticate(request).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(AuthError);
      expect((failure as AuthError).message).toBe(
        "AWS default chain credentials unavailable: no credentials for the data plane pod (CredentialsProviderError): give its service account an IAM role (IRSA or EKS Pod Identity), or set credentialsFile or oidcExchangeToken in the BackendSecurityPolicy",
      );
      expect(auth.ready()).toBe(false);
    } finally {
      logs.stop();
    }
    expect(logs.lines.join("\n")).not.toContain(AGENT_TOKEN);
  });

  it("never sends the endpoint's answer into an error: a refused token is reported by name only", async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${endpoint.url}/v1/credentials`;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = "wrong-token";
    auth = createBackendAuth({ type: "AWSCredentials", region: "us-east-1" });
    await expect(auth.warm()).rejects.toThrow(/no credentials for the data plane pod/);
    expect(auth.lastError()).not.toContain("wrong-token");
  });
});
