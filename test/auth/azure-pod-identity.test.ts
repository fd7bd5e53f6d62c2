/**
 * AzureCredentials with `useManagedIdentity`: the data plane pod's own identity. AKS workload
 * identity (a projected service-account token presented to Entra ID as a federated assertion) when
 * the pod has AZURE_FEDERATED_TOKEN_FILE, else the managed identity endpoint (IMDS).
 *
 * The SDK keeps the managed identity's endpoint and tokens process-wide: one fake IMDS serves the
 * whole file, and each managed-identity test uses its own client ID so no test reads another's token.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import type { BackendAuth } from "../../auth/types";
import { FakeEntra, selfSignedCertificate, startFakeEntra } from "./support/fake-idp";
import { eventually, FakeServer, sendJSON, startFakeServer } from "./support/fake-server";
import { captureLogs } from "./support/log-capture";
import { ManualClock } from "./support/manual-clock";

const TENANT = "00000000-0000-0000-0000-0000000000aa";
const WORKLOAD_CLIENT = "11111111-2222-3333-4444-555555555555";
const MINUTE = 60_000;
const tls = selfSignedCertificate();

const request = {
  method: "POST",
  path: "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
  headers: { "content-type": "application/json", authorization: "Bearer client" },
  body: new Uint8Array(),
};

/** Variables that select another identity source in the SDK: cleared so only the one under test answers. */
const IDENTITY_VARIABLES = [
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_AUTHORITY_HOST",
  "AZURE_CLIENT_SECRET",
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "IDENTITY_SERVER_THUMBPRINT",
  "IMDS_ENDPOINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
];

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
  for (const name of IDENTITY_VARIABLES) delete process.env[name];
});
afterEach(() => {
  process.env = saved;
});

describe("Azure managed identity through IMDS", () => {
  let imds: FakeServer;
  let imdsMode: "ok" | "fail" = "ok";
  let auth: BackendAuth | undefined;

  beforeAll(async () => {
    // IMDS as Azure serves it: GET with `Metadata: true`, the resource, and the user-assigned
    // identity's client_id when there is one.
    imds = await startFakeServer((received, response) => {
      const url = new URL(received.url, "http://imds");
      const valid =
        received.method === "GET" &&
        /^\/metadata\/identity\/oauth2\/token\/?$/.test(url.pathname) &&
        received.headers.metadata === "true" &&
        url.searchParams.get("resource") === "https://cognitiveservices.azure.com";
      if (imdsMode === "fail" || !valid) {
        // Echoes what it was sent, as some endpoints do: none of it may reach an error.
        sendJSON(response, 400, {
          error: "invalid_request",
          error_description: `Identity not found: imds-echo ${received.url}`,
        });
        return;
      }
      const expiresOn = Math.floor(Date.now() / 1000) + 3600;
      sendJSON(response, 200, {
        access_token: `imds-token-${imds.requests.length}`,
        expires_in: "3600",
        expires_on: String(expiresOn),
        resource: "https://cognitiveservices.azure.com",
        token_type: "Bearer",
        client_id: url.searchParams.get("client_id") ?? "system-assigned",
      });
    });
  });
  beforeEach(() => {
    imdsMode = "ok";
    // Where AAD pod identity points the SDK's IMDS calls; here, at the fake.
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imds.url;
  });
  afterEach(() => {
    auth?.close();
    auth = undefined;
  });
  afterAll(() => imds.close());

  const managedIdentity = (clientID?: string) =>
    createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        ...(clientID ? { clientID } : {}),
        useManagedIdentity: true,
      },
      { clock: new ManualClock() },
    );

  it("uses the system-assigned identity when the policy names no clientID", async () => {
    auth = managedIdentity();
    const result = await auth.authenticate(request);
    expect(result.headers.set.authorization).toMatch(/^Bearer imds-token-\d+$/);
    const sent = new URL(imds.requests.at(-1)!.url, "http://imds");
    expect(sent.searchParams.has("client_id")).toBe(false);
  });

  it("asks for the user-assigned identity the policy's clientID names", async () => {
    const logs = captureLogs();
    try {
      auth = managedIdentity("user-assigned-1");
      const result = await auth.authenticate(request);
      const token = result.headers.set.authorization.replace("Bearer ", "");
      expect(token).toMatch(/^imds-token-\d+$/);
      const sent = new URL(imds.requests.at(-1)!.url, "http://imds");
      expect(sent.searchParams.get("client_id")).toBe("user-assigned-1");
      expect(logs.lines.join("\n")).not.toContain(token);
    } finally {
      logs.stop();
    }
  });

  it("says which identity IMDS refused and how to set one up, quoting nothing it answered", async () => {
    imdsMode = "fail";
    auth = managedIdentity("user-assigned-2");
    const refusal = await auth.authenticate(request).then(
      () => undefined,
      (error: unknown) => error as AuthError,
    );
    expect(refusal).toBeInstanceOf(AuthError);
    expect(refusal?.code).toBe("TOKEN_UNAVAILABLE");
    expect(refusal?.message).toBe(
      "Azure Entra ID token unavailable: the managed identity endpoint (IMDS) gave no token (HTTP 400 invalid_request): give the data plane's nodes the user-assigned identity user-assigned-2, or set up AKS workload identity for its service account",
    );
    expect(auth.lastError()).not.toContain("imds-echo");
  });
});

describe("Azure AKS workload identity", () => {
  let entra: FakeEntra;
  let dir: string;
  let auth: BackendAuth | undefined;

  beforeEach(async () => {
    entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: WORKLOAD_CLIENT,
      assertion: /^projected-sa-token-\d+$/,
    });
    // What the workload identity webhook projects into the pod.
    dir = mkdtempSync(join(tmpdir(), "azure-workload-identity-"));
    writeFileSync(join(dir, "azure-identity-token"), "projected-sa-token-1\n");
    process.env.AZURE_FEDERATED_TOKEN_FILE = join(dir, "azure-identity-token");
    process.env.AZURE_CLIENT_ID = WORKLOAD_CLIENT;
    process.env.AZURE_TENANT_ID = TENANT;
  });
  afterEach(async () => {
    auth?.close();
    auth = undefined;
    rmSync(dir, { recursive: true, force: true });
    await entra.server.close();
  });

  const workloadIdentity = (extra: { clientID?: string } = {}, clock = new ManualClock()) =>
    createBackendAuth(
      {
        type: "AzureCredentials",
        tenantID: TENANT,
        useManagedIdentity: true,
        authorityHost: entra.server.url,
        ...extra,
      },
      { clock, caCertificates: [tls.cert] },
    );

  it("presents the pod's projected token to Entra ID, as the service account's client", async () => {
    const logs = captureLogs();
    try {
      auth = workloadIdentity();
      const result = await auth.authenticate(request);
      expect(result.headers.set.authorization).toBe("Bearer entra-token-1");
      expect(entra.tokenRequests).toEqual([
        expect.objectContaining({
          grant_type: "client_credentials",
          client_id: WORKLOAD_CLIENT,
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: "projected-sa-token-1",
          scope: expect.stringContaining("https://cognitiveservices.azure.com/.default"),
        }),
      ]);
      expect(logs.lines.join("\n")).not.toMatch(/entra-token-1|projected-sa-token/);
    } finally {
      logs.stop();
    }
  });

  it("takes the policy's clientID over the service account's", async () => {
    await entra.server.close();
    entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: "policy-client",
      assertion: /^projected-sa-token-\d+$/,
    });
    auth = workloadIdentity({ clientID: "policy-client" });
    expect((await auth.authenticate(request)).headers.set.authorization).toBe(
      "Bearer entra-token-1",
    );
    expect(entra.tokenRequests[0].client_id).toBe("policy-client");
  });

  it("reads the token file again on refresh, as the kubelet rotates it", async () => {
    const clock = new ManualClock();
    auth = workloadIdentity({}, clock);
    await auth.warm();
    writeFileSync(process.env.AZURE_FEDERATED_TOKEN_FILE!, "projected-sa-token-2\n");
    clock.advance(56 * MINUTE);
    await eventually(async () =>
      (await auth!.authenticate(request)).headers.set.authorization === "Bearer entra-token-2"
        ? true
        : undefined,
    );
    expect(entra.tokenRequests.map(form => form.client_assertion)).toEqual([
      "projected-sa-token-1",
      "projected-sa-token-2",
    ]);
  });

  it("says what to check when Entra ID refuses the projected token", async () => {
    entra.mode = "fail";
    auth = workloadIdentity();
    await expect(auth.authenticate(request)).rejects.toThrow(
      new AuthError(
        "TOKEN_UNAVAILABLE",
        `Azure Entra ID token unavailable: AKS workload identity gave no token (AuthenticationRequiredError invalid_client): check that the identity's federated credential trusts the data plane's service account, in tenant ${TENANT}`,
      ),
    );
  });

  it("refuses, at creation, a pod with a token file but no client ID anywhere", () => {
    delete process.env.AZURE_CLIENT_ID;
    expect(() => workloadIdentity()).toThrow(
      new AuthError(
        "INVALID_CONFIG",
        "AzureCredentials: the pod has a workload identity token (AZURE_FEDERATED_TOKEN_FILE) but no client ID: set clientID in the BackendSecurityPolicy, or annotate the data plane's service account with azure.workload.identity/client-id",
      ),
    );
  });
});
