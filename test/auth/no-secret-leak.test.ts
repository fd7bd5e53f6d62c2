/**
 * Runs every credential type, successes and failures, with a canary secret (and fakes that echo
 * what they receive in their error answers), then checks that neither the canary nor any issued
 * token appears in log output, error messages, stacks or lastError(); and the same for the
 * registry's rotation path (rotations that work, fail to warm, or are invalid).
 */
import { generateKeyPairSync } from "node:crypto";
import { BackendAuthRegistry, createBackendAuth, redact } from "../../auth";
import type { BackendAuthConfig } from "../../contract/credentials";
import type { BackendAuth } from "../../auth/types";
import { eventually } from "./support/fake-server";
import {
  selfSignedCertificate,
  startFakeAWSSTS,
  startFakeEntra,
  startFakeGoogle,
  startFakeIssuer,
} from "./support/fake-idp";
import { captureLogs } from "./support/log-capture";
import { ManualClock } from "./support/manual-clock";

const CANARY = "CANARY-7f3a9c-do-not-leak";
/** Token values the fakes issue: credentials too, so they must not leak either. */
const ISSUED = [
  /oidc-id-token-\d/,
  /oidc-access-\d/,
  /sts-secret-\d/,
  /sts-session-\d/,
  /entra-token-\d/,
  /ya29\./,
];
const MINUTE = 60_000;

const request = {
  method: "POST",
  path: "/model/m%3A0/converse",
  headers: { "content-type": "application/json", authorization: `Bearer ${CANARY}` },
  body: new TextEncoder().encode("{}"),
};

it("no secret or token reaches logs, errors or status, on success or failure", async () => {
  const logs = captureLogs();
  const surfaced: string[] = [];
  /** Records what a failure exposes: message, stack, and anything enumerable on the error. */
  const record = (error: unknown) => {
    const e = error as Error;
    surfaced.push(e.message, String(e.stack), JSON.stringify(e), String(e));
  };
  const tls = selfSignedCertificate();
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const issuer = await startFakeIssuer("client", CANARY);
  const sts = await startFakeAWSSTS("arn:aws:iam::1:role/r", /^oidc-id-token-\d+$/);
  const entra = await startFakeEntra(tls, {
    tenantID: "t",
    clientID: "c",
    clientSecret: CANARY,
    assertion: /^oidc-id-token-\d+$/,
  });
  const google = await startFakeGoogle({
    publicKeyPEM: publicKey.export({ type: "spki", format: "pem" }).toString(),
    clientEmail: "sa@p.iam.gserviceaccount.com",
    audience:
      "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
    subjectToken: /^oidc-id-token-\d+$/,
    serviceAccount: "runner@p.iam.gserviceaccount.com",
  });
  const oidc = { oidc: { issuer: issuer.server.url, clientID: "client", clientSecret: CANARY } };
  const configs: BackendAuthConfig[] = [
    { type: "APIKey", apiKey: CANARY },
    { type: "AzureAPIKey", apiKey: CANARY },
    { type: "AnthropicAPIKey", apiKey: CANARY },
    {
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: {
        content: `[default]\naws_access_key_id = AKIA${CANARY}\naws_secret_access_key = ${CANARY}\n`,
        profile: "default",
      },
    },
    {
      type: "AWSCredentials",
      region: "us-east-1",
      oidcExchangeToken: { ...oidc, awsRoleArn: "arn:aws:iam::1:role/r" },
      stsEndpoint: sts.server.url,
    },
    {
      type: "AzureCredentials",
      tenantID: "t",
      clientID: "c",
      clientSecret: CANARY,
      authorityHost: entra.server.url,
    },
    {
      type: "AzureCredentials",
      tenantID: "t",
      clientID: "c",
      oidcExchangeToken: oidc,
      authorityHost: entra.server.url,
    },
    {
      type: "GCPCredentials",
      projectName: "p",
      region: "us-central1",
      credentialsFile: {
        content: JSON.stringify({
          private_key_id: CANARY,
          private_key: privatePEM,
          client_email: "sa@p.iam.gserviceaccount.com",
          token_uri: `${google.server.url}/oauth/token`,
        }),
      },
    },
    {
      type: "GCPCredentials",
      projectName: "p",
      region: "global",
      workloadIdentityFederationConfig: {
        projectID: "1",
        workloadIdentityPoolName: "pool",
        workloadIdentityProviderName: "prov",
        oidcExchangeToken: oidc,
        serviceAccountImpersonation: { serviceAccountName: "runner" },
      },
      endpoints: {
        stsTokenURL: `${google.server.url}/v1/token`,
        iamCredentialsURL: google.server.url,
      },
    },
  ];

  const clock = new ManualClock();
  const auths: BackendAuth[] = configs.map(config =>
    createBackendAuth(config, { clock, caCertificates: [tls.cert], retryDelayMs: MINUTE }),
  );
  try {
    // 1. Everything succeeds.
    for (const auth of auths) await auth.authenticate(request);
    // 2. Every endpoint fails (echoing what it was sent) while tokens are still valid.
    issuer.mode = sts.mode = entra.mode = google.mode = "fail";
    clock.advance(56 * MINUTE);
    for (const auth of auths.slice(4)) {
      surfaced.push(await eventually(async () => auth.lastError()));
      await auth.authenticate(request);
    }
    // 3. Tokens expire: requests fail.
    clock.advance(10 * MINUTE);
    for (const auth of auths.slice(4)) {
      await auth.authenticate(request).then(
        () => surfaced.push("unexpected success"),
        (error: unknown) => record(error),
      );
      surfaced.push(String(auth.lastError()));
    }
    // 4. Configurations that cannot work fail at creation.
    const broken: BackendAuthConfig[] = [
      {
        type: "AWSCredentials",
        region: "r",
        credentialsFile: { content: `[x]\naws_access_key_id=${CANARY}\n`, profile: "x" },
      },
      {
        type: "AWSCredentials",
        region: "r",
        credentialsFile: { content: `[default\n${CANARY}`, profile: "default" },
      },
      {
        type: "GCPCredentials",
        projectName: "p",
        region: "r",
        credentialsFile: { content: `{${CANARY}` },
      },
      {
        type: "GCPCredentials",
        projectName: "p",
        region: "r",
        credentialsFile: {
          content: JSON.stringify({ client_email: "e", private_key: `-----BEGIN ${CANARY}` }),
        },
      },
    ];
    for (const config of broken) {
      try {
        const auth = createBackendAuth(config, { clock });
        await auth.authenticate(request).catch(record);
      } catch (error) {
        record(error);
      }
    }
    surfaced.push(...configs.map(config => JSON.stringify(redact(config))));
  } finally {
    for (const auth of auths) auth.close();
    logs.stop();
    await Promise.all([issuer, sts, entra, google].map(fake => fake.server.close()));
  }

  // The run did exercise failures, and logged them.
  expect(surfaced.filter(text => /HTTP 40\d/.test(text)).length).toBeGreaterThan(5);
  expect(logs.lines.some(line => line.includes("credential refresh failed"))).toBe(true);
  const everything = [...logs.lines, ...surfaced].join("\n");
  expect(everything).not.toContain(CANARY);
  expect(everything).not.toContain(privatePEM.split("\n")[1]);
  for (const token of ISSUED) expect(everything).not.toMatch(token);
});

it("no secret or token reaches logs, results or status on the registry's rotation path", async () => {
  const logs = captureLogs();
  const surfaced: string[] = [];
  const tls = selfSignedCertificate();
  const ROTATED = `${CANARY}-rotated`;
  const REVOKED = `${CANARY}-revoked`;
  const issuer = await startFakeIssuer("client", CANARY);
  const entra = await startFakeEntra(tls, {
    tenantID: "t",
    clientID: "c",
    clientSecret: [CANARY, ROTATED],
  });
  const google = await startFakeGoogle({
    publicKeyPEM: generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString(),
    clientEmail: "sa@p.iam.gserviceaccount.com",
    audience:
      "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
    subjectToken: /^oidc-id-token-\d+$/,
    serviceAccount: "runner@p.iam.gserviceaccount.com",
  });
  const clock = new ManualClock();
  const registry = new BackendAuthRegistry({ clock, caCertificates: [tls.cert] });
  const azure = (clientSecret: string): BackendAuthConfig => ({
    type: "AzureCredentials",
    tenantID: "t",
    clientID: "c",
    clientSecret,
    authorityHost: entra.server.url,
  });
  const federated = (clientSecret: string): BackendAuthConfig => ({
    type: "GCPCredentials",
    projectName: "p",
    region: "global",
    workloadIdentityFederationConfig: {
      projectID: "1",
      workloadIdentityPoolName: "pool",
      workloadIdentityProviderName: "prov",
      oidcExchangeToken: {
        oidc: { issuer: issuer.server.url, clientID: "client", clientSecret },
      },
    },
    endpoints: { stsTokenURL: `${google.server.url}/v1/token` },
  });
  const apply = async (backend: string, config: unknown) => {
    const result = await registry.update(backend, config as BackendAuthConfig);
    surfaced.push(JSON.stringify(result), String(registry.lastError(backend)));
    return result;
  };
  try {
    // Installs and rotations that work.
    await apply("key", { type: "APIKey", apiKey: CANARY });
    await apply("key", { type: "APIKey", apiKey: ROTATED });
    expect((await apply("azure", azure(CANARY))).outcome).toBe("installed");
    expect((await apply("azure", azure(ROTATED))).outcome).toBe("rotated");
    expect((await apply("vertex", federated(CANARY))).outcome).toBe("installed");
    // A rotation whose warm fails: the fakes echo the revoked secret in their error answers.
    expect((await apply("azure", azure(REVOKED))).outcome).toBe("kept-previous");
    expect((await apply("vertex", federated(REVOKED))).outcome).toBe("kept-previous");
    // Invalid rotations carrying secrets in every field.
    expect(
      (
        await apply("azure", {
          ...azure(REVOKED),
          oidcExchangeToken: { oidc: { issuer: "x", clientID: "c", clientSecret: CANARY } },
        })
      ).outcome,
    ).toBe("kept-previous");
    expect((await apply("key", { type: "APIKey", apiKey: CANARY, [CANARY]: 1 })).outcome).toBe(
      "kept-previous",
    );
    expect((await apply("new", { type: CANARY, apiKey: CANARY })).outcome).toBe("failed");
    // The serving credentials expire while the endpoints fail: the rotation installs unwarmed.
    issuer.mode = entra.mode = google.mode = "fail";
    clock.advance(70 * MINUTE);
    await eventually(async () => registry.lastError("azure"));
    expect((await apply("azure", azure(CANARY))).outcome).toBe("failed");
    for (const backend of ["azure", "vertex"]) {
      await registry
        .get(backend)!
        .authenticate(request)
        .catch((error: Error) => surfaced.push(error.message, String(error.stack)));
    }
  } finally {
    registry.close();
    logs.stop();
    await Promise.all([issuer, entra, google].map(fake => fake.server.close()));
  }

  expect(surfaced.filter(text => /HTTP 40\d/.test(text)).length).toBeGreaterThan(2);
  expect(logs.lines.some(line => line.includes("rotation failed"))).toBe(true);
  expect(logs.lines.some(line => line.includes("backend credentials rotated"))).toBe(true);
  const everything = [...logs.lines, ...surfaced].join("\n");
  expect(everything).not.toContain(CANARY);
  for (const token of ISSUED) expect(everything).not.toMatch(token);
});
