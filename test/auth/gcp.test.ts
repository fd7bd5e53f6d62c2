import { generateKeyPairSync } from "node:crypto";
import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import { vertexHost, vertexPath } from "../../auth/gcp";
import type { BackendAuth } from "../../auth/types";
import { eventually, Gate } from "./support/fake-server";
import { FakeGoogle, FakeIssuer, startFakeGoogle, startFakeIssuer } from "./support/fake-idp";
import { ManualClock } from "./support/manual-clock";

const MINUTE = 60_000;
const CLIENT_EMAIL = "vertex-caller@my-project.iam.gserviceaccount.com";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PRIVATE_KEY_PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const PUBLIC_KEY_PEM = publicKey.export({ type: "spki", format: "pem" }).toString();
const FEDERATION = {
  projectID: "123456789",
  workloadIdentityPoolName: "gateway-pool",
  workloadIdentityProviderName: "gateway-oidc",
};
const AUDIENCE =
  "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/gateway-pool/providers/gateway-oidc";

const request = {
  method: "POST",
  path: "publishers/google/models/gemini-1.5-pro:generateContent",
  headers: { "content-type": "application/json", authorization: "Bearer client-key" },
  body: new Uint8Array(),
};

let google: FakeGoogle;
let issuer: FakeIssuer;
beforeEach(async () => {
  issuer = await startFakeIssuer("gcp-client", "gcp-oidc-secret");
  google = await startFakeGoogle({
    publicKeyPEM: PUBLIC_KEY_PEM,
    clientEmail: CLIENT_EMAIL,
    audience: AUDIENCE,
    subjectToken: /^oidc-id-token-\d+$/,
    serviceAccount: "vertex-runner@my-project.iam.gserviceaccount.com",
  });
});
afterEach(() => Promise.all([google.server.close(), issuer.server.close()]));

function serviceAccountKey(): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "my-project",
    private_key_id: "key-1",
    private_key: PRIVATE_KEY_PEM,
    client_email: CLIENT_EMAIL,
    token_uri: `${google.server.url}/oauth/token`,
  });
}

function serviceAccountConfig() {
  return {
    type: "GCPCredentials" as const,
    projectName: "my-project",
    region: "us-central1",
    credentialsFile: { content: serviceAccountKey() },
  };
}

/** The bearer token the authenticator sends now. */
async function bearer(auth: BackendAuth): Promise<string | undefined> {
  return (await auth.authenticate(request)).headers.set.authorization;
}

/** Waits until the authenticator sends `expected`. */
const eventuallySends = (auth: BackendAuth, expected: string) =>
  eventually(async () => ((await bearer(auth)) === expected ? true : undefined));

function federationConfig(impersonate: boolean) {
  return {
    type: "GCPCredentials" as const,
    projectName: "my-project",
    region: "us-central1",
    workloadIdentityFederationConfig: {
      ...FEDERATION,
      oidcExchangeToken: {
        oidc: {
          issuer: issuer.server.url,
          clientID: "gcp-client",
          clientSecret: "gcp-oidc-secret",
        },
      },
      ...(impersonate
        ? { serviceAccountImpersonation: { serviceAccountName: "vertex-runner" } }
        : {}),
    },
    endpoints: {
      stsTokenURL: `${google.server.url}/v1/token`,
      iamCredentialsURL: google.server.url,
    },
  };
}

describe("Vertex AI URL shaping", () => {
  it("prefixes the translator path with project and location and names the regional host", () => {
    expect(vertexPath("p", "europe-west4", "publishers/google/models/m:generateContent")).toBe(
      "/v1/projects/p/locations/europe-west4/publishers/google/models/m:generateContent",
    );
    expect(vertexPath("p", "global", "/publishers/anthropic/models/c:rawPredict")).toBe(
      "/v1/projects/p/locations/global/publishers/anthropic/models/c:rawPredict",
    );
    expect(vertexHost("us-east5")).toBe("us-east5-aiplatform.googleapis.com");
    expect(vertexHost("global")).toBe("aiplatform.googleapis.com");
  });
});

describe("GCP service-account key", () => {
  it("signs a JWT assertion the token endpoint verifies, and sends the token with the Vertex path", async () => {
    const auth = createBackendAuth(
      {
        type: "GCPCredentials",
        projectName: "my-project",
        region: "us-central1",
        credentialsFile: { content: serviceAccountKey() },
      },
      { clock: new ManualClock() },
    );
    const result = await auth.authenticate(request);
    auth.close();
    expect(result).toEqual({
      path: "/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-1.5-pro:generateContent",
      host: "us-central1-aiplatform.googleapis.com",
      headers: {
        set: { authorization: "Bearer ya29.sa-1" },
        remove: ["api-key", "x-api-key", "x-goog-api-key", "proxy-authorization"],
      },
    });
    expect(google.oauth).toHaveLength(1);
  });

  it("rejects an unreadable key at creation with CREDENTIALS_FILE_INVALID", () => {
    expect(() =>
      createBackendAuth({
        type: "GCPCredentials",
        projectName: "p",
        region: "r",
        credentialsFile: { content: "{not json" },
      }),
    ).toThrow(expect.objectContaining({ code: "CREDENTIALS_FILE_INVALID" }));
  });
});

describe("GCP service-account key: refresh and expiry", () => {
  it("refreshes early; concurrent requests during the refresh get the valid token, one token fetch", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(serviceAccountConfig(), { clock });
    try {
      await auth.warm();
      const gate = new Gate();
      google.gate = gate;
      clock.advance(56 * MINUTE); // 5 minutes before the 3599 s token expires
      await eventually(async () => (google.oauth.length === 2 ? true : undefined));
      const during = await Promise.all(Array.from({ length: 25 }, () => bearer(auth)));
      expect(new Set(during)).toEqual(new Set(["Bearer ya29.sa-1"]));
      gate.open();
      await eventuallySends(auth, "Bearer ya29.sa-2");
      expect(google.oauth).toHaveLength(2);
    } finally {
      auth.close();
    }
  });

  it("after expiry, concurrent requests wait for the one fetch in flight", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(serviceAccountConfig(), { clock });
    try {
      await auth.warm();
      const gate = new Gate();
      google.gate = gate;
      clock.advance(65 * MINUTE); // the refresh starts and is held; the token expires meanwhile
      await eventually(async () => (google.oauth.length === 2 ? true : undefined));
      const waiting = Promise.all(Array.from({ length: 25 }, () => bearer(auth)));
      gate.open();
      expect(new Set(await waiting)).toEqual(new Set(["Bearer ya29.sa-2"]));
      expect(google.oauth).toHaveLength(2);
    } finally {
      auth.close();
    }
  });

  it("once the token has expired and the endpoint fails, requests fail fast; the retry recovers", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(serviceAccountConfig(), { clock, retryDelayMs: 30 * MINUTE });
    try {
      await auth.warm();
      google.mode = "fail";
      clock.advance(56 * MINUTE);
      await eventually(async () => auth.lastError());
      clock.advance(5 * MINUTE); // expired, inside the back-off window
      const refusal = new AuthError(
        "TOKEN_UNAVAILABLE",
        `GCP service-account token unavailable: ${google.server.url}/oauth/token: HTTP 400 invalid_grant`,
      );
      await expect(auth.authenticate(request)).rejects.toEqual(refusal);
      await expect(auth.authenticate(request)).rejects.toEqual(refusal);
      expect(google.oauth).toHaveLength(2);
      google.mode = "ok";
      clock.advance(26 * MINUTE);
      await eventuallySends(auth, "Bearer ya29.sa-3");
    } finally {
      auth.close();
    }
  });
});

describe("GCP workload identity federation", () => {
  it("exchanges the OIDC token at Google STS for the pool audience", async () => {
    const auth = createBackendAuth(federationConfig(false), { clock: new ManualClock() });
    const result = await auth.authenticate(request);
    auth.close();
    expect(result.headers.set.authorization).toBe("Bearer ya29.federated-1");
    expect(google.sts[0]).toMatchObject({ audience: AUDIENCE, subject_token: "oidc-id-token-1" });
    expect(google.iam).toHaveLength(0);
  });

  it("impersonates <sa>@<projectName>.iam.gserviceaccount.com with the federated token", async () => {
    const auth = createBackendAuth(federationConfig(true), { clock: new ManualClock() });
    const result = await auth.authenticate(request);
    auth.close();
    expect(result.headers.set.authorization).toBe("Bearer ya29.impersonated-1");
    expect(google.iam[0].headers.authorization).toBe("Bearer ya29.federated-1");
    expect(JSON.parse(google.iam[0].body.toString())).toEqual({
      scope: ["https://www.googleapis.com/auth/cloud-platform"],
      lifetime: "3600s",
    });
  });

  it("refreshes early; on failure keeps the valid token and reports the failing endpoint", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(federationConfig(true), { clock });
    await auth.warm();
    clock.advance(56 * MINUTE);
    await eventually(async () =>
      (await auth.authenticate(request)).headers.set.authorization === "Bearer ya29.impersonated-2"
        ? true
        : undefined,
    );
    google.mode = "fail";
    clock.advance(56 * MINUTE);
    const error = await eventually(async () => auth.lastError());
    expect(error).toBe(
      `GCP federated token: ${google.server.url}/v1/token: HTTP 400 invalid_request`,
    );
    expect((await auth.authenticate(request)).headers.set.authorization).toBe(
      "Bearer ya29.impersonated-2",
    );
    auth.close();
  });
});

describe("GCP workload identity federation: refresh and concurrency", () => {
  it("concurrent requests during a refresh get the valid token; one OIDC, STS and IAM call", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(federationConfig(true), { clock });
    try {
      await auth.warm();
      const gate = new Gate();
      google.gate = gate;
      clock.advance(56 * MINUTE);
      await eventually(async () => (google.sts.length === 2 ? true : undefined));
      const during = await Promise.all(Array.from({ length: 25 }, () => bearer(auth)));
      expect(new Set(during)).toEqual(new Set(["Bearer ya29.impersonated-1"]));
      gate.open();
      await eventuallySends(auth, "Bearer ya29.impersonated-2");
      expect(issuer.tokenRequests).toHaveLength(2);
      expect(google.sts).toHaveLength(2);
      expect(google.iam).toHaveLength(2);
      expect(google.sts[1]).toMatchObject({ audience: AUDIENCE, subject_token: "oidc-id-token-2" });
      expect(google.iam[1].headers.authorization).toBe("Bearer ya29.federated-2");
    } finally {
      auth.close();
    }
  });

  it("after expiry, concurrent requests wait for the one exchange in flight", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(federationConfig(false), { clock });
    try {
      await auth.warm();
      const gate = new Gate();
      google.gate = gate;
      clock.advance(65 * MINUTE);
      await eventually(async () => (google.sts.length === 2 ? true : undefined));
      const waiting = Promise.all(Array.from({ length: 25 }, () => bearer(auth)));
      gate.open();
      expect(new Set(await waiting)).toEqual(new Set(["Bearer ya29.federated-2"]));
      expect(google.sts).toHaveLength(2);
      expect(issuer.tokenRequests).toHaveLength(2);
    } finally {
      auth.close();
    }
  });

  it("an overloaded STS is asked once per attempt (no library retries), then the cache backs off", async () => {
    const clock = new ManualClock();
    const auth = createBackendAuth(federationConfig(false), { clock, retryDelayMs: MINUTE });
    try {
      google.mode = "unavailable";
      const refusal = new AuthError(
        "TOKEN_UNAVAILABLE",
        `GCP federated token unavailable: ${google.server.url}/v1/token: HTTP 503 temporarily_unavailable`,
      );
      await expect(auth.authenticate(request)).rejects.toEqual(refusal);
      await expect(auth.authenticate(request)).rejects.toEqual(refusal);
      expect(google.sts).toHaveLength(1);
      google.mode = "ok";
      clock.advance(MINUTE);
      await eventuallySends(auth, "Bearer ya29.federated-2");
    } finally {
      auth.close();
    }
  });
});
