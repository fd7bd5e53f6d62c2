import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import type { BackendAuth } from "../../auth/types";
import { eventually, Gate } from "./support/fake-server";
import { FakeAWSSTS, FakeIssuer, startFakeAWSSTS, startFakeIssuer } from "./support/fake-idp";
import { ManualClock } from "./support/manual-clock";
import { verifyAuthenticated } from "./support/sigv4-verifier";

const ROLE = "arn:aws:iam::123456789012:role/bedrock-invoker";
const MINUTE = 60_000;

describe("AWS credentials from OIDC via STS AssumeRoleWithWebIdentity", () => {
  let issuer: FakeIssuer;
  let sts: FakeAWSSTS;
  let clock: ManualClock;
  let auth: BackendAuth;

  /** Credentials from an OIDC client-credentials token exchanged at the fake STS for ROLE. */
  const oidcConfig = () => ({
    type: "AWSCredentials" as const,
    region: "us-west-2",
    oidcExchangeToken: {
      oidc: {
        issuer: issuer.server.url,
        clientID: "gateway-client",
        clientSecret: "oidc-client-secret",
        scopes: ["sts", "bedrock"],
      },
      awsRoleArn: ROLE,
    },
    stsEndpoint: sts.server.url,
  });

  beforeEach(async () => {
    issuer = await startFakeIssuer("gateway-client", "oidc-client-secret");
    sts = await startFakeAWSSTS(ROLE, /^oidc-id-token-\d+$/);
    clock = new ManualClock();
    auth = createBackendAuth(oidcConfig(), { clock });
  });
  afterEach(async () => {
    auth.close();
    await Promise.all([issuer.server.close(), sts.server.close()]);
  });

  const request = {
    method: "POST",
    host: "bedrock-runtime.us-west-2.amazonaws.com",
    path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
    headers: { "content-type": "application/json" },
    body: new TextEncoder().encode('{"messages":[]}'),
  };

  /** Re-verifies the handler's signature against the secrets STS issued. */
  async function signAndVerify() {
    const result = await auth.authenticate(request);
    const verification = verifyAuthenticated(request, result, id => sts.secrets.get(id));
    return { result, verification };
  }

  it("discovers the token endpoint, exchanges the OIDC token and signs with the session credentials", async () => {
    await auth.warm();
    expect(issuer.tokenRequests).toEqual([
      {
        grant_type: "client_credentials",
        client_id: "gateway-client",
        client_secret: "oidc-client-secret",
        scope: "sts bedrock",
      },
    ]);
    expect(sts.calls).toHaveLength(1);
    expect(sts.calls[0]).toMatchObject({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: ROLE,
      WebIdentityToken: "oidc-id-token-1",
    });
    const { result, verification } = await signAndVerify();
    expect(verification.ok).toBe(true);
    expect(result.headers.set["x-amz-security-token"]).toBe("sts-session-1");
    expect(result.headers.set.authorization).toContain("Credential=ASIAFAKESTS000000001/");
    expect(result.headers.set.authorization).toContain("x-amz-security-token");
  });

  it("refreshes before expiry in the background and switches to the new credentials", async () => {
    await auth.warm();
    clock.advance(55 * MINUTE);
    // A request in the refresh window is answered with the old credentials at once.
    expect((await signAndVerify()).result.headers.set["x-amz-security-token"]).toBe(
      "sts-session-1",
    );
    const next = await eventually(async () => {
      const { result, verification } = await signAndVerify();
      return result.headers.set["x-amz-security-token"] === "sts-session-2"
        ? verification
        : undefined;
    });
    expect(next.ok).toBe(true);
    expect(sts.calls).toHaveLength(2);
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it("keeps signing with valid credentials while STS fails, and reports the error", async () => {
    await auth.warm();
    sts.mode = "fail";
    clock.advance(55 * MINUTE);
    const error = await eventually(async () => auth.lastError());
    expect(error).toBe("AWS STS credentials: HTTP 400 InvalidIdentityTokenException");
    const { verification, result } = await signAndVerify();
    expect(verification.ok).toBe(true);
    expect(result.headers.set["x-amz-security-token"]).toBe("sts-session-1");
  });

  it("concurrent requests during a refresh sign with the valid credentials; exactly one STS call", async () => {
    await auth.warm();
    const gate = new Gate();
    sts.gate = gate;
    clock.advance(55 * MINUTE);
    await eventually(async () => (sts.calls.length === 2 ? true : undefined));
    const during = await Promise.all(Array.from({ length: 25 }, () => signAndVerify()));
    expect(during.every(({ verification }) => verification.ok)).toBe(true);
    expect(new Set(during.map(({ result }) => result.headers.set["x-amz-security-token"]))).toEqual(
      new Set(["sts-session-1"]),
    );
    gate.open();
    const next = await eventually(async () => {
      const { result, verification } = await signAndVerify();
      return result.headers.set["x-amz-security-token"] === "sts-session-2"
        ? verification
        : undefined;
    });
    expect(next.ok).toBe(true);
    expect(sts.calls).toHaveLength(2);
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it("after expiry, concurrent requests wait for the one STS call in flight", async () => {
    await auth.warm();
    const gate = new Gate();
    sts.gate = gate;
    clock.advance(65 * MINUTE); // the refresh starts and is held; the credentials expire meanwhile
    await eventually(async () => (sts.calls.length === 2 ? true : undefined));
    const waiting = Promise.all(Array.from({ length: 25 }, () => signAndVerify()));
    gate.open();
    const results = await waiting;
    expect(results.every(({ verification }) => verification.ok)).toBe(true);
    expect(
      new Set(results.map(({ result }) => result.headers.set["x-amz-security-token"])),
    ).toEqual(new Set(["sts-session-2"]));
    expect(sts.calls).toHaveLength(2);
  });

  it("once the credentials have expired and STS fails, requests fail fast; the retry recovers", async () => {
    auth.close();
    auth = createBackendAuth(oidcConfig(), { clock, retryDelayMs: 30 * MINUTE });
    await auth.warm();
    sts.mode = "fail";
    clock.advance(55 * MINUTE);
    await eventually(async () => auth.lastError());
    clock.advance(6 * MINUTE); // expired, inside the back-off window
    const refusal = new AuthError(
      "TOKEN_UNAVAILABLE",
      "AWS STS credentials unavailable: HTTP 400 InvalidIdentityTokenException",
    );
    await expect(auth.authenticate(request)).rejects.toEqual(refusal);
    await expect(auth.authenticate(request)).rejects.toEqual(refusal);
    expect(sts.calls).toHaveLength(2);
    sts.mode = "ok";
    clock.advance(25 * MINUTE);
    const recovered = await eventually(async () =>
      auth.authenticate(request).then(
        result => result.headers.set["x-amz-security-token"],
        () => undefined,
      ),
    );
    expect(recovered).toBe("sts-session-3");
  });

  it("concurrent first requests cause exactly one OIDC fetch and one STS call", async () => {
    const results = await Promise.all(Array.from({ length: 25 }, () => auth.authenticate(request)));
    expect(new Set(results.map(r => r.headers.set["x-amz-security-token"]))).toEqual(
      new Set(["sts-session-1"]),
    );
    expect(issuer.tokenRequests).toHaveLength(1);
    expect(sts.calls).toHaveLength(1);
  });

  it("fails the first request with a sanitised TOKEN_UNAVAILABLE when the issuer rejects the client", async () => {
    issuer.mode = "fail";
    await expect(auth.authenticate(request)).rejects.toMatchObject({
      code: "TOKEN_UNAVAILABLE",
      message: `AWS STS credentials unavailable: ${issuer.server.url}/oauth2/token: HTTP 401 invalid_client`,
    });
  });
});
