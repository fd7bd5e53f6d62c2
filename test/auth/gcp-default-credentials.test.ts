/**
 * GCPCredentials with neither credentialsFile nor workloadIdentityFederationConfig: the data plane
 * pod's Application Default Credentials, against a fake GCE metadata server (as GKE Workload
 * Identity serves it), or from the external-account file GOOGLE_APPLICATION_CREDENTIALS names (as
 * Workload Identity Federation configures a pod outside Google Cloud).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gaxios, gcpMetadata } from "google-auth-library";
import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import type { BackendAuth } from "../../auth/types";
import { startFakeGoogle } from "./support/fake-idp";
import { eventually, FakeServer, startFakeServer } from "./support/fake-server";
import { captureLogs } from "./support/log-capture";
import { ManualClock } from "./support/manual-clock";

const MINUTE = 60_000;
const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

const request = {
  method: "POST",
  path: "publishers/google/models/gemini-1.5-pro:generateContent",
  headers: { "content-type": "application/json", authorization: "Bearer client-key" },
  body: new Uint8Array(),
};

const config = {
  type: "GCPCredentials" as const,
  projectName: "my-project",
  region: "us-central1",
};

/** Variables the library reads to find credentials: cleared so only the source under test answers. */
const ADC_VARIABLES = [
  "GOOGLE_APPLICATION_CREDENTIALS",
  "GCE_METADATA_HOST",
  "GCE_METADATA_IP",
  "METADATA_SERVER_DETECTION",
  "GOOGLE_CLOUD_PROJECT",
  "GCLOUD_PROJECT",
  "GOOGLE_CLOUD_QUOTA_PROJECT",
];

// The metadata client uses gaxios's shared instance, which loads node-fetch with a dynamic import
// that jest's module sandbox refuses; Node's own fetch serves the same requests.
gaxios.instance.defaults.fetchImplementation = fetch;

let saved: NodeJS.ProcessEnv;
let dir: string;
let auth: BackendAuth | undefined;
beforeEach(() => {
  saved = { ...process.env };
  for (const name of ADC_VARIABLES) delete process.env[name];
  dir = mkdtempSync(join(tmpdir(), "gcp-adc-"));
  // No gcloud login of whoever runs the tests: an empty configuration directory.
  process.env.CLOUDSDK_CONFIG = dir;
  // Not on Google Cloud, and no remembered answer from another test's metadata server.
  gcpMetadata.setGCPResidency(false);
  gcpMetadata.resetIsAvailableCache();
});
afterEach(() => {
  auth?.close();
  auth = undefined;
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** Whether the fake metadata server grants tokens. */
let metadataMode: "ok" | "fail" = "ok";

/** The GCE metadata server: the availability probe and the default service account's token. */
async function startFakeMetadata(): Promise<FakeServer> {
  const server = await startFakeServer((received, response) => {
    const url = new URL(received.url, "http://metadata");
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, {
        "content-type": "application/json",
        "metadata-flavor": "Google",
      });
      response.end(JSON.stringify(body));
    };
    if (received.headers["metadata-flavor"] !== "Google") {
      return answer(403, { error: "missing Metadata-Flavor" });
    }
    if (url.pathname === "/computeMetadata/v1/instance") return answer(200, {});
    if (url.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
      if (metadataMode === "fail" || url.searchParams.get("scopes") !== CLOUD_PLATFORM) {
        return answer(403, { error: "access_denied", error_description: `echo ${received.url}` });
      }
      const n = server.requests.filter(r => r.url.includes("/token")).length;
      return answer(200, {
        access_token: `ya29.metadata-${n}`,
        expires_in: 3599,
        token_type: "Bearer",
      });
    }
    answer(404, { error: "not_found" });
  });
  return server;
}

describe("GCP Application Default Credentials from the metadata server", () => {
  let metadata: FakeServer;
  beforeEach(async () => {
    metadataMode = "ok";
    metadata = await startFakeMetadata();
    process.env.GCE_METADATA_HOST = metadata.url.replace("http://", "");
  });
  afterEach(() => metadata.close());

  it("sends the service account's token with the Vertex path, and logs neither", async () => {
    const logs = captureLogs();
    try {
      auth = createBackendAuth(config, { clock: new ManualClock() });
      const result = await auth.authenticate(request);
      expect(result).toEqual({
        path: "/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-1.5-pro:generateContent",
        host: "us-central1-aiplatform.googleapis.com",
        headers: {
          set: { authorization: "Bearer ya29.metadata-1" },
          remove: ["api-key", "x-api-key", "x-goog-api-key", "proxy-authorization"],
        },
      });
      expect(logs.lines.join("\n")).not.toContain("ya29.");
    } finally {
      logs.stop();
    }
  });

  it("asks the metadata server again on refresh, rather than the library's held token", async () => {
    const clock = new ManualClock();
    auth = createBackendAuth(config, { clock });
    await auth.warm();
    clock.advance(56 * MINUTE);
    await eventually(async () =>
      (await auth!.authenticate(request)).headers.set.authorization === "Bearer ya29.metadata-2"
        ? true
        : undefined,
    );
  });

  it("reports a refusal with the endpoint and status only", async () => {
    metadataMode = "fail";
    auth = createBackendAuth(config, { clock: new ManualClock() });
    await expect(auth.authenticate(request)).rejects.toThrow(
      new AuthError(
        "TOKEN_UNAVAILABLE",
        `GCP default credentials token unavailable: ${metadata.url}/computeMetadata/v1/instance/service-accounts/default/token: HTTP 403`,
      ),
    );
    expect(auth.lastError()).not.toContain("echo");
  });
});

describe("GCP Application Default Credentials, when the pod has none", () => {
  it("says how to give the pod an identity, or to configure one in the policy", async () => {
    // A metadata server that is not there: nothing listens on the port.
    const gone = await startFakeServer(() => undefined);
    await gone.close();
    process.env.GCE_METADATA_HOST = gone.url.replace("http://", "");
    auth = createBackendAuth(config, { clock: new ManualClock() });
    await expect(auth.authenticate(request)).rejects.toThrow(
      new AuthError(
        "TOKEN_UNAVAILABLE",
        "GCP default credentials token unavailable: no Application Default Credentials for the data plane pod (Error): give its service account a Google identity (GKE Workload Identity), or set credentialsFile or workloadIdentityFederationConfig in the BackendSecurityPolicy",
      ),
    );
  });
});

const ROOT = join(__dirname, "../..");

/** Creates the policy's authenticator, authenticates twice, prints the two bearer headers. */
const AUTHENTICATE_TWICE = `
const { createBackendAuth } = require("./auth");
const auth = createBackendAuth(JSON.parse(process.argv[1]));
const request = { method: "POST", path: "publishers/google/models/m:generateContent", headers: {}, body: new Uint8Array() };
(async () => {
  const first = await auth.authenticate(request);
  const second = await auth.authenticate(request);
  console.log(JSON.stringify([first.headers.set.authorization, second.headers.set.authorization]));
  auth.close();
})().catch(error => { console.error(error.message); process.exit(1); });
`;

describe("GCP Application Default Credentials from an external-account file", () => {
  const audience =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/eks/providers/eks-oidc";
  const serviceAccount = "vertex-runner@my-project.iam.gserviceaccount.com";

  it("exchanges the pod's projected token at STS, impersonates the service account, sends its token", async () => {
    const google = await startFakeGoogle({
      publicKeyPEM: "",
      clientEmail: "",
      audience,
      subjectToken: /^projected-service-account-token$/,
      serviceAccount,
    });
    try {
      // What `gcloud iam workload-identity-pools create-cred-config` writes, with a token file
      // the kubelet projects into the pod.
      const tokenFile = join(dir, "token");
      writeFileSync(tokenFile, "projected-service-account-token");
      const credentials = join(dir, "credentials.json");
      writeFileSync(
        credentials,
        JSON.stringify({
          type: "external_account",
          audience,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          token_url: `${google.server.url}/v1/token`,
          service_account_impersonation_url: `${google.server.url}/v1/projects/-/serviceAccounts/${encodeURIComponent(serviceAccount)}:generateAccessToken`,
          credential_source: { file: tokenFile },
        }),
      );
      // In a process of its own: google-auth-library makes the STS call through a gaxios client
      // of its own, which loads its fetch with a dynamic import that jest's sandbox refuses.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["-r", "tsx/cjs", "-e", AUTHENTICATE_TWICE, JSON.stringify(config)],
        { env: { ...process.env, GOOGLE_APPLICATION_CREDENTIALS: credentials }, cwd: ROOT },
      );
      expect(JSON.parse(stdout)).toEqual([
        "Bearer ya29.impersonated-1",
        "Bearer ya29.impersonated-1",
      ]);
      expect(google.sts).toHaveLength(1);
      expect(google.iam).toHaveLength(1);
    } finally {
      await google.server.close();
    }
  });
});
