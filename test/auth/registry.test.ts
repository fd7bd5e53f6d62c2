import { generateKeyPairSync } from "node:crypto";
import { BackendAuthRegistry } from "../../auth";
import type { BackendAuthConfig } from "../../contract/credentials";
import { AuthError } from "../../auth/errors";
import type { AuthRequest, BackendAuth } from "../../auth/types";
import { eventually, Gate } from "./support/fake-server";
import {
  FakeEntra,
  FakeGoogle,
  selfSignedCertificate,
  startFakeEntra,
  startFakeGoogle,
  startFakeIssuer,
} from "./support/fake-idp";
import { ManualClock } from "./support/manual-clock";

const MINUTE = 60_000;
const TENANT = "00000000-0000-0000-0000-0000000000aa";
const CLIENT = "11111111-2222-3333-4444-555555555555";
const tls = selfSignedCertificate();

const request: AuthRequest = {
  method: "POST",
  path: "/v1/chat/completions",
  headers: { "content-type": "application/json", authorization: "Bearer client" },
  body: new Uint8Array(),
};

/** The credential header the registry's authenticator for `backend` sets now. */
async function sent(registry: BackendAuthRegistry, backend: string, header = "authorization") {
  const auth = registry.get(backend);
  if (!auth) throw new Error(`no authenticator for ${backend}`);
  return (await auth.authenticate(request)).headers.set[header];
}

describe("BackendAuthRegistry with API keys", () => {
  it("a swapped key is used by the next request; an identical config changes nothing", async () => {
    const registry = new BackendAuthRegistry();
    try {
      expect(await registry.update("openai", { type: "APIKey", apiKey: "sk-old" })).toEqual({
        outcome: "installed",
      });
      expect(await sent(registry, "openai")).toBe("Bearer sk-old");
      const first = registry.get("openai");

      expect(await registry.update("openai", { type: "APIKey", apiKey: "sk-old" })).toEqual({
        outcome: "unchanged",
      });
      expect(registry.get("openai")).toBe(first);

      expect(await registry.update("openai", { type: "APIKey", apiKey: "sk-new" })).toEqual({
        outcome: "rotated",
      });
      expect(registry.get("openai")).not.toBe(first);
      expect(await sent(registry, "openai")).toBe("Bearer sk-new");
    } finally {
      registry.close();
    }
  });

  it("keeps backends apart, and remove() forgets one", async () => {
    const registry = new BackendAuthRegistry();
    await registry.update("a", { type: "APIKey", apiKey: "key-a" });
    await registry.update("b", { type: "AnthropicAPIKey", apiKey: "key-b" });
    expect(await sent(registry, "a")).toBe("Bearer key-a");
    expect(await sent(registry, "b", "x-api-key")).toBe("key-b");
    registry.remove("a");
    expect(registry.get("a")).toBeUndefined();
    expect(registry.backendIds()).toEqual(["b"]);
    registry.close();
    expect(registry.get("b")).toBeUndefined();
    await expect(registry.update("b", { type: "APIKey", apiKey: "k" })).rejects.toMatchObject({
      code: "CLOSED",
    });
  });

  it("an invalid new config keeps the old key serving and reports the field, never the value", async () => {
    const registry = new BackendAuthRegistry();
    try {
      await registry.update("openai", { type: "APIKey", apiKey: "sk-old" });
      const invalid = { type: "APIKey", apiKey: "sk-leaked-value", apikey: "sk-leaked-value" };
      const result = await registry.update("openai", invalid as never);
      expect(result).toEqual({
        outcome: "kept-previous",
        error: 'APIKey: unknown field "apikey"',
      });
      expect(registry.lastError("openai")).toBe(
        'new credentials not in service (previous ones kept): APIKey: unknown field "apikey"',
      );
      expect(await sent(registry, "openai")).toBe("Bearer sk-old");
      // The control plane goes back to the serving config: nothing to report any more.
      expect(await registry.update("openai", { type: "APIKey", apiKey: "sk-old" })).toEqual({
        outcome: "unchanged",
      });
      expect(registry.lastError("openai")).toBeUndefined();
    } finally {
      registry.close();
    }
  });

  it("compares configs by value: key order and defaults do not count as a change", async () => {
    const registry = new BackendAuthRegistry();
    try {
      const file = "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n";
      await registry.update("bedrock", {
        type: "AWSCredentials",
        region: "us-east-1",
        credentialsFile: { content: file },
      });
      const first = registry.get("bedrock");
      expect(
        await registry.update("bedrock", {
          credentialsFile: { profile: "default", content: file },
          region: "us-east-1",
          type: "AWSCredentials",
        }),
      ).toEqual({ outcome: "unchanged" });
      expect(registry.get("bedrock")).toBe(first);
    } finally {
      registry.close();
    }
  });
});

describe("BackendAuthRegistry rotating Azure Entra ID credentials", () => {
  let entra: FakeEntra;
  let clock: ManualClock;
  let registry: BackendAuthRegistry;
  const config = (clientSecret: string): BackendAuthConfig => ({
    type: "AzureCredentials",
    tenantID: TENANT,
    clientID: CLIENT,
    clientSecret,
    authorityHost: entra.server.url,
  });

  beforeEach(async () => {
    // During a rotation the application holds both secrets, as Entra ID allows.
    entra = await startFakeEntra(tls, {
      tenantID: TENANT,
      clientID: CLIENT,
      clientSecret: ["secret-old", "secret-new"],
    });
    clock = new ManualClock();
    registry = new BackendAuthRegistry({ clock, caCertificates: [tls.cert] });
  });
  afterEach(async () => {
    registry.close();
    await entra.server.close();
  });

  it("the old token keeps serving until the new credentials are warm, then the new token is used", async () => {
    expect(await registry.update("azure", config("secret-old"))).toEqual({ outcome: "installed" });
    const old = registry.get("azure")!;
    expect(await sent(registry, "azure")).toBe("Bearer entra-token-1");

    const gate = new Gate();
    entra.gate = gate;
    const rotation = registry.update("azure", config("secret-new"));
    await eventually(async () => (entra.tokenRequests.length === 2 ? true : undefined));
    expect(entra.tokenRequests[1].client_secret).toBe("secret-new");
    // While the new credentials warm, requests are served by the old authenticator and token.
    expect(registry.get("azure")).toBe(old);
    const during = await Promise.all(Array.from({ length: 10 }, () => sent(registry, "azure")));
    expect(new Set(during)).toEqual(new Set(["Bearer entra-token-1"]));

    gate.open();
    expect(await rotation).toEqual({ outcome: "rotated" });
    expect(await sent(registry, "azure")).toBe("Bearer entra-token-2");
    expect(entra.tokenRequests).toHaveLength(2); // the swap itself fetched nothing
    await expect(old.authenticate(request)).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("an identical config rebuilds nothing and fetches nothing", async () => {
    await registry.update("azure", config("secret-old"));
    const first = registry.get("azure");
    expect(await registry.update("azure", { ...config("secret-old") })).toEqual({
      outcome: "unchanged",
    });
    expect(registry.get("azure")).toBe(first);
    expect(entra.tokenRequests).toHaveLength(1);
    expect(await sent(registry, "azure")).toBe("Bearer entra-token-1");
  });

  it("a new secret that Entra ID rejects leaves the old one serving, with a sanitised lastError", async () => {
    await registry.update("azure", config("secret-old"));
    const old = registry.get("azure");
    const result = await registry.update("azure", config("secret-revoked"));
    const failure = "Azure Entra ID token unavailable: AuthenticationRequiredError invalid_client";
    expect(result).toEqual({ outcome: "kept-previous", error: failure });
    expect(registry.get("azure")).toBe(old);
    expect(await sent(registry, "azure")).toBe("Bearer entra-token-1");
    expect(registry.lastError("azure")).toBe(
      `new credentials not in service (previous ones kept): ${failure}`,
    );
    expect(registry.lastError("azure")).not.toContain("secret-revoked");
    // The next rotation that works clears it.
    expect(await registry.update("azure", config("secret-new"))).toEqual({ outcome: "rotated" });
    expect(registry.lastError("azure")).toBeUndefined();
  });

  it("when the old credentials can no longer serve, the new ones are installed even if not yet warm", async () => {
    await registry.update("azure", config("secret-old"));
    entra.mode = "fail";
    clock.advance(70 * MINUTE); // the old token expired; its refreshes fail
    await eventually(async () => registry.lastError("azure"));
    expect(registry.get("azure")!.ready()).toBe(false);
    const result = await registry.update("azure", config("secret-new"));
    expect(result).toMatchObject({ outcome: "failed" });
    const replacement = registry.get("azure")!;
    entra.mode = "ok";
    clock.advance(MINUTE); // past the replacement's back-off: its retry succeeds
    await eventually(async () => (replacement.ready() ? true : undefined));
    expect(await sent(registry, "azure")).toMatch(/^Bearer entra-token-\d+$/);
    expect(entra.tokenRequests.at(-1)?.client_secret).toBe("secret-new");
  });
});

describe("BackendAuthRegistry rotating GCP credentials", () => {
  let google: FakeGoogle;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

  beforeEach(async () => {
    google = await startFakeGoogle({
      publicKeyPEM: publicKey.export({ type: "spki", format: "pem" }).toString(),
      clientEmail: "sa@p.iam.gserviceaccount.com",
      audience:
        "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/prov",
      subjectToken: /^oidc-id-token-\d+$/,
      serviceAccount: "runner@p.iam.gserviceaccount.com",
    });
  });
  afterEach(() => google.server.close());

  it("a key file swapped for workload identity: the key's token serves until the federated one is warm", async () => {
    const issuer = await startFakeIssuer("client", "oidc-secret");
    const clock = new ManualClock();
    const registry = new BackendAuthRegistry({ clock });
    try {
      await registry.update("vertex", {
        type: "GCPCredentials",
        projectName: "p",
        region: "us-central1",
        credentialsFile: {
          content: JSON.stringify({
            private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
            client_email: "sa@p.iam.gserviceaccount.com",
            token_uri: `${google.server.url}/oauth/token`,
          }),
        },
      });
      expect(await sent(registry, "vertex")).toBe("Bearer ya29.sa-1");
      const federated: BackendAuthConfig = {
        type: "GCPCredentials",
        projectName: "p",
        region: "us-central1",
        workloadIdentityFederationConfig: {
          projectID: "1",
          workloadIdentityPoolName: "pool",
          workloadIdentityProviderName: "prov",
          oidcExchangeToken: {
            oidc: { issuer: issuer.server.url, clientID: "client", clientSecret: "oidc-secret" },
          },
        },
        endpoints: { stsTokenURL: `${google.server.url}/v1/token` },
      };
      const gate = new Gate();
      google.gate = gate;
      const rotation = registry.update("vertex", federated);
      await eventually(async () => (google.sts.length === 1 ? true : undefined));
      expect(await sent(registry, "vertex")).toBe("Bearer ya29.sa-1");
      gate.open();
      expect(await rotation).toEqual({ outcome: "rotated" });
      expect(await sent(registry, "vertex")).toBe("Bearer ya29.federated-1");
      // Rewriting the same federated config again fetches nothing.
      expect(await registry.update("vertex", federated)).toEqual({ outcome: "unchanged" });
      expect(google.sts).toHaveLength(1);
      expect(issuer.tokenRequests).toHaveLength(1);
    } finally {
      registry.close();
      await issuer.server.close();
    }
  });
});

/** An authenticator whose warm-up the test settles by hand. */
class StubAuth implements BackendAuth {
  closed = false;
  isReady = false;
  private settleWarm: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private readonly warming: Promise<void>;

  constructor(readonly key: string) {
    this.warming = new Promise((resolve, reject) => {
      this.settleWarm = { resolve, reject };
    });
  }

  authenticate() {
    if (this.closed) return Promise.reject(new AuthError("CLOSED", "closed"));
    return Promise.resolve({
      path: "/",
      headers: { set: { authorization: this.key }, remove: [] },
    });
  }
  warm() {
    return this.warming;
  }
  ready() {
    return this.isReady && !this.closed;
  }
  lastError() {
    return undefined;
  }
  close() {
    this.closed = true;
  }
  finishWarm() {
    this.isReady = true;
    this.settleWarm?.resolve();
  }
  failWarm(message: string) {
    this.settleWarm?.reject(new AuthError("TOKEN_UNAVAILABLE", message));
  }
}

describe("BackendAuthRegistry ordering (stub authenticators)", () => {
  function stubRegistry() {
    const built = new Map<string, StubAuth>();
    const registry = new BackendAuthRegistry({
      create: config => {
        const stub = new StubAuth((config as { apiKey: string }).apiKey);
        built.set(stub.key, stub);
        return stub;
      },
    });
    const key = (apiKey: string) => ({ type: "APIKey" as const, apiKey });
    return { registry, built, key };
  }

  it("overlapping updates: the last one wins, the one it replaced is closed and superseded", async () => {
    const { registry, built, key } = stubRegistry();
    const installing = registry.update("b", key("k1"));
    built.get("k1")!.finishWarm();
    expect(await installing).toEqual({ outcome: "installed" });

    const toK2 = registry.update("b", key("k2"));
    const toK2Again = registry.update("b", key("k2")); // joins the rotation in progress
    const toK3 = registry.update("b", key("k3"));
    expect(built.get("k2")!.closed).toBe(true);
    built.get("k2")!.finishWarm();
    expect(await toK2).toEqual({ outcome: "superseded" });
    expect(await toK2Again).toEqual({ outcome: "superseded" });
    expect(registry.get("b")).toBe(built.get("k1")); // k1 serves while k3 warms
    built.get("k3")!.finishWarm();
    expect(await toK3).toEqual({ outcome: "rotated" });
    expect(registry.get("b")).toBe(built.get("k3"));
    expect(built.get("k1")!.closed).toBe(true);
    expect(built.size).toBe(3);
  });

  it("a rotation reverted while it warms is dropped", async () => {
    const { registry, built, key } = stubRegistry();
    const installing = registry.update("b", key("k1"));
    built.get("k1")!.finishWarm();
    await installing;
    const toK2 = registry.update("b", key("k2"));
    expect(await registry.update("b", key("k1"))).toEqual({ outcome: "unchanged" });
    expect(built.get("k2")!.closed).toBe(true);
    built.get("k2")!.failWarm("late");
    expect(await toK2).toEqual({ outcome: "superseded" });
    expect(registry.get("b")).toBe(built.get("k1"));
    expect(built.get("k1")!.closed).toBe(false);
  });

  it("remove() during a rotation closes both authenticators", async () => {
    const { registry, built, key } = stubRegistry();
    const installing = registry.update("b", key("k1"));
    built.get("k1")!.finishWarm();
    await installing;
    const toK2 = registry.update("b", key("k2"));
    registry.remove("b");
    built.get("k2")!.finishWarm();
    expect(await toK2).toEqual({ outcome: "superseded" });
    expect(built.get("k1")!.closed).toBe(true);
    expect(built.get("k2")!.closed).toBe(true);
    expect(registry.get("b")).toBeUndefined();
  });

  it("a first config that fails to warm is installed anyway (nothing to keep), and says why", async () => {
    const { registry, built, key } = stubRegistry();
    const installing = registry.update("b", key("k1"));
    expect(registry.get("b")).toBe(built.get("k1")); // requests can join the first fetch
    built.get("k1")!.failWarm("k1 unavailable: HTTP 503");
    expect(await installing).toEqual({ outcome: "failed", error: "k1 unavailable: HTTP 503" });
    expect(registry.get("b")).toBe(built.get("k1"));
  });
});
