/**
 * Starts and stops the local control plane: etcd, kube-apiserver (RBAC, client certificates),
 * kube-controller-manager (garbage collector, namespace controller), the CRDs, Envoy Gateway's
 * controller and the module, both running out of cluster, with admission and reconcile live.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { Binaries, ensureBinaries } from "./binaries";
import { Certificates, makeCertificates } from "./certs";
import { ENVOY_GATEWAYS, startEnvoyGateway, waitForEnvoyGateway } from "./envoy-gateway";
import { ensureEnvoyGatewayController } from "./envoy-gateway-binaries";
import { KUBECONFIG, PROJECT_ROOT, RUN_DIR, STATE_FILE, THIRD_PARTY_CRDS } from "./paths";
import { isAlive, startProcess, stopProcess, waitUntil } from "./processes";
import { freePort } from "../../support/free-port";
import { run } from "../../support/run";
import { log } from "./log";

export interface ClusterState {
  kubeconfig: string;
  kubectl: string;
  apiserverPort: number;
  pids: {
    etcd?: number;
    apiserver?: number;
    controllerManager?: number;
    module?: number;
    /** Envoy Gateway's controllers, by GatewayClass. */
    envoyGateways?: Record<string, number>;
  };
}

export function readState(): ClusterState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, "utf8"));
}

function writeKubeconfig(path: string, port: number, certs: Certificates, user: string): void {
  const b64 = (file: string) => readFileSync(file).toString("base64");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: testcluster
  cluster:
    server: https://127.0.0.1:${port}
    certificate-authority-data: ${b64(certs.ca)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(certs.admin)}
    client-key-data: ${b64(certs.adminKey)}
contexts:
- name: testcluster
  context: {cluster: testcluster, user: ${user}}
current-context: testcluster
`,
  );
}

function readyz(port: number, ca: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = request(
      { host: "127.0.0.1", port, path: "/readyz", ca: readFileSync(ca), timeout: 2000 },
      res => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("error", () => resolve(false));
    req.end();
  });
}

export function kubectlIn(state: ClusterState, args: string[], input?: string): string {
  return run(state.kubectl, args, { env: { ...process.env, KUBECONFIG: state.kubeconfig }, input });
}

/** Installs our CRDs and the Gateway API and Envoy Gateway ones, and waits until all are Established. */
export function installCrds(state: ClusterState): void {
  if (!existsSync(THIRD_PARTY_CRDS)) {
    throw new Error(
      `the Gateway API and Envoy Gateway CRDs are missing: expected them in ${THIRD_PARTY_CRDS} (set AIGW_THIRD_PARTY_CRDS to their folder)`,
    );
  }
  const files = [
    ...readdirSync(join(PROJECT_ROOT, "crds"))
      .filter(f => f.endsWith(".yaml"))
      .map(f => join(PROJECT_ROOT, "crds", f)),
    ...readdirSync(THIRD_PARTY_CRDS, { recursive: true, encoding: "utf8" })
      .filter(f => f.endsWith(".yaml"))
      .map(f => join(THIRD_PARTY_CRDS, f)),
  ];
  // Several CRDs pass the 256 KiB annotation limit of client-side apply.
  for (const file of files)
    kubectlIn(state, ["apply", "--server-side", "--force-conflicts", "-f", file]);
  kubectlIn(state, ["wait", "--for=condition=Established", "--timeout=120s", "crd", "--all"]);
}

/** Starts the module as `pepr dev` does; its webhooks reach it on https://localhost:3000. */
async function startModule(state: ClusterState): Promise<void> {
  const logFile = join(RUN_DIR, "module.log");
  state.pids.module = startProcess(
    "npx",
    ["pepr", "dev", "--host", "localhost", "--yes"],
    logFile,
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        KUBECONFIG: state.kubeconfig,
        // Short, so the tests see resyncs; the reconcile benchmark runs with the default.
        AIGW_RESYNC_SECONDS: process.env.AIGW_RESYNC_SECONDS ?? "30",
        // `pepr dev` logs at debug by default; the module runs at info in a cluster.
        LOG_LEVEL: process.env.AIGW_MODULE_LOG_LEVEL ?? "info",
      },
    },
  );
  log("building and starting the module (pepr dev)");
  await waitUntil(
    "the module's admission webhook (see .testcluster/run/module.log)",
    () => {
      // A route with an invalid regular expression must come back denied by our webhook.
      try {
        kubectlIn(state, ["apply", "--dry-run=server", "-f", "-"], WEBHOOK_PROBE);
        return false;
      } catch (error) {
        return /denied the request/.test((error as Error).message);
      }
    },
    180_000,
  );
  await waitUntil(
    "the module's controller",
    () => readFileSync(logFile, "utf8").includes("controller started"),
    120_000,
  );
}

const WEBHOOK_PROBE = `apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: {name: webhook-probe, namespace: default}
spec:
  rules:
  - matches: [{headers: [{type: RegularExpression, name: x-ai-eg-model, value: "("}]}]
`;

export async function isHealthy(state: ClusterState | undefined): Promise<boolean> {
  if (!state) return false;
  const running = [
    state.pids.etcd,
    state.pids.apiserver,
    state.pids.controllerManager,
    state.pids.module,
    ...ENVOY_GATEWAYS.map(instance => state.pids.envoyGateways?.[instance.gatewayClass]),
  ].every(isAlive);
  return running && (await readyz(state.apiserverPort, join(RUN_DIR, "ca.crt")));
}

export async function up(): Promise<ClusterState> {
  const existing = readState();
  if (await isHealthy(existing)) {
    log("reusing the running test cluster");
    return existing!;
  }
  await down();
  const started = Date.now();
  const binaries: Binaries = ensureBinaries();
  const envoyGateway = ensureEnvoyGatewayController("The cluster suite");
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const certs = makeCertificates(RUN_DIR);
  const [etcdPort, etcdPeerPort, apiserverPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const state: ClusterState = {
    kubeconfig: KUBECONFIG,
    kubectl: binaries.kubectl,
    apiserverPort,
    pids: {},
  };
  const save = () => writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));

  state.pids.etcd = startProcess(
    binaries.etcd,
    [
      `--data-dir=${join(RUN_DIR, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      "--unsafe-no-fsync",
    ],
    join(RUN_DIR, "etcd.log"),
  );
  save();
  state.pids.apiserver = startProcess(
    binaries.kubeApiserver,
    [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${RUN_DIR}`,
      `--tls-cert-file=${certs.serving}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.ca}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      `--service-account-issuer=https://127.0.0.1:${apiserverPort}/`,
      `--service-account-key-file=${certs.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      "--allow-privileged=true",
    ],
    join(RUN_DIR, "apiserver.log"),
  );
  save();
  await waitUntil(
    "kube-apiserver /readyz (see .testcluster/run/apiserver.log)",
    () => readyz(apiserverPort, certs.ca),
    120_000,
  );
  writeKubeconfig(KUBECONFIG, apiserverPort, certs, "admin");
  state.pids.controllerManager = startProcess(
    binaries.kubeControllerManager,
    [
      `--kubeconfig=${KUBECONFIG}`,
      `--authentication-kubeconfig=${KUBECONFIG}`,
      `--authorization-kubeconfig=${KUBECONFIG}`,
      "--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token",
      `--service-account-private-key-file=${certs.serviceAccountKey}`,
      `--root-ca-file=${certs.ca}`,
      "--use-service-account-credentials=false",
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      `--cert-dir=${join(RUN_DIR, "controller-manager")}`,
    ],
    join(RUN_DIR, "controller-manager.log"),
  );
  save();
  log("installing CRDs");
  installCrds(state);
  const kubectl = (args: string[], input?: string) => kubectlIn(state, args, input);
  state.pids.envoyGateways = {};
  for (const instance of ENVOY_GATEWAYS) {
    state.pids.envoyGateways[instance.gatewayClass] = await startEnvoyGateway(
      instance,
      envoyGateway,
      certs,
      KUBECONFIG,
      kubectl,
    );
    save();
  }
  await startModule(state);
  save();
  for (const instance of ENVOY_GATEWAYS) await waitForEnvoyGateway(instance, kubectl);
  log(
    `test cluster ready in ${Math.round((Date.now() - started) / 1000)}s (KUBECONFIG=${KUBECONFIG})`,
  );
  return state;
}

export async function down(): Promise<void> {
  const state = readState();
  if (!state) return;
  // The module first: on exit it removes its webhook configurations through the API server.
  await stopProcess(state.pids.module, 15_000);
  for (const pid of Object.values(state.pids.envoyGateways ?? {})) await stopProcess(pid);
  await stopProcess(state.pids.controllerManager);
  await stopProcess(state.pids.apiserver);
  await stopProcess(state.pids.etcd);
  rmSync(STATE_FILE, { force: true });
}
