import { createBackendAuth } from "../../auth";
import type { BackendAuth } from "../../auth/types";
import { eventually } from "./support/fake-server";
import {
  FakeEntra,
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
      headers: { set: { authorization: "Bearer entra-token-1" }, remove: ["api-key", "x-api-key"] },
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

  it("rejects a config with both or neither of clientSecret and oidcExchangeToken", () => {
    expect(() =>
      createBackendAuth({ type: "AzureCredentials", tenantID: TENANT, clientID: CLIENT }),
    ).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
  });
});
