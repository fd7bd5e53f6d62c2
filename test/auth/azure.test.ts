import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import type { BackendAuth } from "../../auth/types";
import { eventually, Gate } from "./support/fake-server";
import {
  FakeEntra,
  FakeIssuer,
  selfSignedCertificate,
  startFakeEntra,
  startFakeIssuer,
} from "./support/fake-idp";
import { ManualClock } from "./support/manual-clock";

const TENANT = "00000000-0000-0000-0000-0000000000aa";
const CLIENT = "11111111-2222-3333-4444-555555555555";
const MINUTE = 60_000;
// Entra ID's SDK accepts only https authorities: the fake serves a certificate made for this run.
const tls = selfSignedCertificate();

const request = {
  method: "POST",
  path: "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
  headers: { "content-type": "application/json", authorization: "Bearer client", "api-key": "x" },
  body: new Uint8Array(),
};

describe("Azure Entra ID with a client secret", () => {
  let entra: FakeEntra;
  let clock: ManualClock;
  let auth: BackendAuth;

  beforeEach(async () => {
    entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: CLIENT,
      clientSecret: "azure-client-secret",
    });
    clock = new ManualClock();
    auth = createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        clientID: CLIENT,
        clientSecret: "azure-client-secret",
        authorityHost: entra.server.url,
      },
      { clock, caCertificates: [tls.cert] },
    );
  });
  afterEach(async () => {
    auth.close();
    await entra.server.close();
  });

  it("gets a Cognitive Services token and sends it as a bearer, dropping the client's credentials", async () => {
    const result = await auth.authenticate(request);
    expect(result).toEqual({
      path: request.path,
      headers: {
        set: { authorization: "Bearer entra-token-1" },
        remove: ["api-key", "x-api-key", "x-goog-api-key", "proxy-authorization"],
      },
    });
    expect(entra.tokenRequests).toEqual([
      expect.objectContaining({
        grant_type: "client_credentials",
        client_id: CLIENT,
        client_secret: "azure-client-secret",
        scope: expect.stringContaining("https://cognitiveservices.azure.com/.default"),
      }),
    ]);
  });

  it("refreshes early, serves the old token during the refresh, and fetches once for concurrent requests", async () => {
    await auth.warm();
    // Entra's expiry carries its own rounding: step a little past the 5-minute refresh point.
    clock.advance(56 * MINUTE);
    const during = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(request)));
    expect(new Set(during.map(r => r.headers.set.authorization))).toEqual(
      new Set(["Bearer entra-token-1"]),
    );
    await eventually(async () =>
      (await auth.authenticate(request)).headers.set.authorization === "Bearer entra-token-2"
        ? true
        : undefined,
    );
    expect(entra.tokenRequests).toHaveLength(2);
  });

  it("keeps the valid token when the refresh is rejected, with a sanitised lastError", async () => {
    await auth.warm();
    entra.mode = "fail";
    // Entra's expiry carries its own rounding: step a little past the 5-minute refresh point.
    clock.advance(56 * MINUTE);
    const error = await eventually(async () => auth.lastError());
    expect(error).toBe("Azure Entra ID token: AuthenticationRequiredError invalid_client");
    expect(error).not.toContain("azure-client-secret");
    expect((await auth.authenticate(request)).headers.set.authorization).toBe(
      "Bearer entra-token-1",
    );
  });
});

describe("Azure Entra ID with a client secret: expiry", () => {
  it("once the token has expired and Entra ID is down, requests fail fast; the retry recovers", async () => {
    const entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: CLIENT,
      clientSecret: "azure-client-secret",
    });
    const clock = new ManualClock();
    const auth = createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        clientID: CLIENT,
        clientSecret: "azure-client-secret",
        authorityHost: entra.server.url,
      },
      { clock, caCertificates: [tls.cert], retryDelayMs: 30 * MINUTE },
    );
    try {
      await auth.warm();
      entra.mode = "fail";
      clock.advance(56 * MINUTE); // the early refresh fails; the next attempt is 30 min later
      await eventually(async () => auth.lastError());
      expect(entra.tokenRequests).toHaveLength(2);
      clock.advance(6 * MINUTE); // the token has expired; still inside the back-off window
      const refusal = new AuthError(
        "TOKEN_UNAVAILABLE",
        "Azure Entra ID token unavailable: AuthenticationRequiredError invalid_client",
      );
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => auth.authenticate(request)),
      );
      expect(results).toEqual(Array(10).fill({ status: "rejected", reason: refusal }));
      expect(entra.tokenRequests).toHaveLength(2); // failed fast: no request reached Entra ID
      entra.mode = "ok";
      clock.advance(25 * MINUTE); // the scheduled retry
      const recovered = await eventually(async () =>
        auth.authenticate(request).then(
          result => result.headers.set.authorization,
          () => undefined,
        ),
      );
      expect(recovered).toBe("Bearer entra-token-3");
      expect(auth.lastError()).toBeUndefined();
    } finally {
      auth.close();
      await entra.server.close();
    }
  });
});

describe("Azure Entra ID with an OIDC federated assertion: refresh", () => {
  let issuer: FakeIssuer;
  let entra: FakeEntra;
  let clock: ManualClock;
  let federated: BackendAuth;
  beforeEach(async () => {
    issuer = await startFakeIssuer("fed-client", "fed-secret");
    entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: CLIENT,
      assertion: /^oidc-id-token-\d+$/,
    });
    clock = new ManualClock();
    federated = createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        clientID: CLIENT,
        oidcExchangeToken: {
          oidc: { issuer: issuer.server.url, clientID: "fed-client", clientSecret: "fed-secret" },
        },
        authorityHost: entra.server.url,
      },
      { clock, caCertificates: [tls.cert] },
    );
  });
  afterEach(async () => {
    federated.close();
    await Promise.all([issuer.server.close(), entra.server.close()]);
  });

  it("concurrent requests during a refresh get the valid token; one assertion, one Entra ID call", async () => {
    await federated.warm();
    const gate = new Gate();
    entra.gate = gate;
    clock.advance(56 * MINUTE);
    await eventually(async () => (entra.tokenRequests.length === 2 ? true : undefined));
    const during = await Promise.all(
      Array.from({ length: 20 }, () => federated.authenticate(request)),
    );
    expect(new Set(during.map(r => r.headers.set.authorization))).toEqual(
      new Set(["Bearer entra-token-1"]),
    );
    gate.open();
    await eventually(async () =>
      (await federated.authenticate(request)).headers.set.authorization === "Bearer entra-token-2"
        ? true
        : undefined,
    );
    expect(entra.tokenRequests).toHaveLength(2);
    expect(issuer.tokenRequests).toHaveLength(2);
    expect(entra.tokenRequests[1].client_assertion).toBe("oidc-id-token-2");
  });

  it("concurrent requests after expiry all wait for the one refresh in flight", async () => {
    await federated.warm();
    const gate = new Gate();
    entra.gate = gate;
    clock.advance(70 * MINUTE); // the refresh starts (and is held); the token expires meanwhile
    await eventually(async () => (entra.tokenRequests.length === 2 ? true : undefined));
    const waiting = Promise.all(Array.from({ length: 20 }, () => federated.authenticate(request)));
    gate.open();
    const results = await waiting;
    expect(new Set(results.map(r => r.headers.set.authorization))).toEqual(
      new Set(["Bearer entra-token-2"]),
    );
    expect(entra.tokenRequests).toHaveLength(2);
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it("fetches the assertion only when Entra ID needs one, not on a timer of its own", async () => {
    issuer.expiresIn = 600; // assertions live 10 minutes, Entra ID tokens an hour
    await federated.warm();
    expect(issuer.tokenRequests).toHaveLength(1);
    for (let minute = 0; minute < 50; minute += 5) clock.advance(5 * MINUTE);
    await new Promise(resolve => setTimeout(resolve, 200)); // time for any stray fetch to land
    expect(issuer.tokenRequests).toHaveLength(1);
    clock.advance(6 * MINUTE); // the Entra ID refresh asks for a fresh assertion
    await eventually(async () =>
      (await federated.authenticate(request)).headers.set.authorization === "Bearer entra-token-2"
        ? true
        : undefined,
    );
    expect(issuer.tokenRequests).toHaveLength(2);
    expect(entra.tokenRequests[1].client_assertion).toBe("oidc-id-token-2");
  });
});

describe("Azure Entra ID with an OIDC federated assertion", () => {
  it("fetches the OIDC token and presents it as the client assertion", async () => {
    const issuer = await startFakeIssuer("fed-client", "fed-secret");
    const entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: CLIENT,
      assertion: /^oidc-id-token-\d+$/,
    });
    const auth = createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        clientID: CLIENT,
        oidcExchangeToken: {
          oidc: {
            issuer: issuer.server.url,
            tokenEndpoint: `${issuer.server.url}/oauth2/token`,
            clientID: "fed-client",
            clientSecret: "fed-secret",
          },
        },
        authorityHost: entra.server.url,
      },
      { clock: new ManualClock(), caCertificates: [tls.cert] },
    );
    try {
      const result = await auth.authenticate(request);
      expect(result.headers.set.authorization).toBe("Bearer entra-token-1");
      expect(entra.tokenRequests[0]).toMatchObject({
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "oidc-id-token-1",
      });
      expect(issuer.tokenRequests).toHaveLength(1);
    } finally {
      auth.close();
      await Promise.all([issuer.server.close(), entra.server.close()]);
    }
  });

  it.each([
    ["neither", {}, "neither is"],
    [
      "both",
      {
        clientSecret: "azure-client-secret",
        oidcExchangeToken: {
          oidc: { issuer: "https://issuer", clientID: "fed-client", clientSecret: "fed-secret" },
        },
      },
      "both are",
    ],
  ])(
    "rejects a config with %s of clientSecret and oidcExchangeToken at creation",
    (_name, sources, which) => {
      const create = () =>
        createBackendAuth({
          type: "AzureCredentials",
          tenantID: TENANT,
          clientID: CLIENT,
          ...sources,
        });
      const expected = new AuthError(
        "INVALID_CONFIG",
        `AzureCredentials: set exactly one of clientSecret or oidcExchangeToken (${which} set)`,
      );
      expect(create).toThrow(expected);
      expect(create).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    },
  );
});
