/**
 * Installing the data plane as the README says: the built manifests are accepted as they are, their
 * Pod passes Pod Security `restricted`, each service account may do what it needs and nothing else,
 * and the bundle the image runs, copied where no node_modules can be found (as in the image) and
 * given its own service account the way a pod mounts one, serves a route from the configuration
 * Secret the controller wrote.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { SERVICE_ACCOUNT_DIR_ENV } from "../../lib/cluster-access";
import { connect, requestHeaders } from "../extproc/support/envoy-client";
import {
  BUILT_BUNDLE_DIR,
  buildImageBundle,
  copyImageBundle,
  imageEnv,
  imageNodeFlags,
} from "../support/image-server";
import { applyYaml, kubectl, kubectlOk, testNamespace } from "./support/kubectl";

const ROOT = join(__dirname, "../..");
const MANIFESTS = join(ROOT, "dist/ai-gateway-extproc.yaml");
const SYSTEM = "ai-gateway-system";
const SERVER = `system:serviceaccount:${SYSTEM}:ai-gateway-extproc`;
const CONTROLLER = "system:serviceaccount:pepr-system:pepr-ai-gateway";

const canI = (as: string, verb: string, resource: string, namespace: string) =>
  kubectl(["auth", "can-i", verb, resource, "-n", namespace, `--as=${as}`]).stdout.trim();

/**
 * A service account's token and the cluster's CA in a folder laid out as the kubelet mounts them
 * into a pod, and the service variables a pod gets, for the test cluster's API server.
 */
function podServiceAccount(dir: string, namespace: string, name: string): Record<string, string> {
  const admin = parse(readFileSync(process.env.KUBECONFIG!, "utf8"));
  const { server, "certificate-authority-data": ca } = admin.clusters[0].cluster;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "token"), kubectlOk(["create", "token", name, "-n", namespace]).trim());
  writeFileSync(join(dir, "ca.crt"), Buffer.from(ca, "base64"));
  writeFileSync(join(dir, "namespace"), namespace);
  const url = new URL(server);
  return {
    KUBERNETES_SERVICE_HOST: url.hostname,
    KUBERNETES_SERVICE_PORT: url.port,
    [SERVICE_ACCOUNT_DIR_ENV]: dir,
  };
}

/** Resolves with the first JSON log line whose message is `message`. */
function logLine(child: ChildProcess, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const record = JSON.parse(line);
        if (record.message === message) resolve(record);
      }
    });
    child.once("exit", code => reject(new Error(`the server exited with ${code}`)));
  });
}

describe("installing the data plane", () => {
  const work = mkdtempSync(join(tmpdir(), "aigw-install-"));
  const namespace = testNamespace("install");
  afterAll(() => {
    namespace.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  beforeAll(() => {
    buildImageBundle();
  });

  it("bundles a source V8 can hold in one byte per character, without the kubeconfig library", () => {
    const source = readFileSync(join(BUILT_BUNDLE_DIR, "server.js"), "utf8");
    // One character beyond Latin-1 and V8 holds all of the ~5 MB as UTF-16.
    expect(source.match(/[^\p{ASCII}\u0080-\u00ff]/gu) ?? []).toEqual([]);
    // Read from the pod's service account instead (lib/cluster-access.ts): the library is named
    // once, by the dynamic import that loads it for a kubeconfig, and never bundled (bundled, it
    // would name its class: the build keeps names).
    expect(source.match(/@kubernetes\/client-node/g)).toEqual(["@kubernetes/client-node"]);
    expect(source).toContain('import("@kubernetes/client-node")');
    expect(source).not.toContain('"KubeConfig"');
  });

  it("applies the built manifests as they are, without a Pod Security warning", () => {
    const result = kubectl(["apply", "--server-side", "-f", MANIFESTS]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("runs a Pod of its Deployment under Pod Security restricted", () => {
    const deployment = parseAllDocuments(readFileSync(MANIFESTS, "utf8"))
      .map(document => document.toJS())
      .find(object => object.kind === "Deployment");
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "extproc-restricted-check", namespace: SYSTEM },
      spec: deployment.spec.template.spec,
    };
    const result = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(pod));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("applies the module's RBAC as Pepr builds it from package.json", () => {
    const { rbac } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).pepr;
    const objects = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "pepr-system" } },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "pepr-ai-gateway", namespace: "pepr-system" },
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "pepr-ai-gateway" },
        rules: rbac,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "pepr-ai-gateway" },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "pepr-ai-gateway",
        },
        subjects: [{ kind: "ServiceAccount", name: "pepr-ai-gateway", namespace: "pepr-system" }],
      },
    ];
    kubectlOk(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    );
  });

  it.each([
    [SERVER, "get", "secrets", SYSTEM, "yes"],
    [SERVER, "watch", "secrets", SYSTEM, "yes"],
    [SERVER, "list", "secrets", SYSTEM, "yes"],
    [SERVER, "create", "secrets", SYSTEM, "no"],
    [SERVER, "delete", "secrets", SYSTEM, "no"],
    [SERVER, "get", "secrets", "default", "no"],
    [SERVER, "list", "configmaps", SYSTEM, "no"],
    [SERVER, "get", "aigatewayroutes.aigateway.envoyproxy.io", "default", "no"],
    [CONTROLLER, "create", "secrets", SYSTEM, "yes"],
    [CONTROLLER, "patch", "secrets", SYSTEM, "yes"],
    [CONTROLLER, "delete", "secrets", SYSTEM, "yes"],
    // It reads the Secrets policies name, wherever they are, and watches their metadata...
    [CONTROLLER, "get", "secrets", "default", "yes"],
    [CONTROLLER, "watch", "secrets", "default", "yes"],
    // ...but writes none of the users' Secrets.
    [CONTROLLER, "create", "secrets", "default", "no"],
    [CONTROLLER, "patch", "secrets", "default", "no"],
    [CONTROLLER, "delete", "secrets", "default", "no"],
  ])("%s may %s %s in %s: %s", (as, verb, resource, ns, answer) => {
    expect(canI(as, verb, resource, ns)).toBe(answer);
  });

  it("serves, with its own service account, a route from the Secret the controller wrote", async () => {
    const ns = namespace.name;
    const example = readFileSync(join(ROOT, "examples/single-provider.yaml"), "utf8").replaceAll(
      "namespace: default",
      `namespace: ${ns}`,
    );
    expect(applyYaml(example, ns).stderr).not.toContain("denied");
    const pod = podServiceAccount(join(work, "serviceaccount"), SYSTEM, "ai-gateway-extproc");
    // The image holds the bundle and its .proto files and no node_modules: a copy outside the
    // project finds none either, so nothing left out of the bundle can be loaded.
    const bundle = copyImageBundle(work);
    const socket = join(work, "extproc.sock");
    // As the image's entry point starts it (its node flags too), without a kubeconfig, as in a pod.
    const server = spawn(process.execPath, [...imageNodeFlags(), bundle], {
      env: {
        ...imageEnv(),
        PATH: process.env.PATH,
        HOME: work,
        ...pod,
        AIGW_EXTPROC_SOCKET: socket,
        AIGW_EXTPROC_PORT: "0",
        AIGW_METRICS_PORT: "0",
        AIGW_EXTPROC_LISTEN_HOST: "127.0.0.1",
        AIGW_SHUTDOWN_DELAY_SECONDS: "1",
        AIGW_DRAIN_SECONDS: "1",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const serving = await logLine(server, "serving");
      const health = spawn(process.execPath, [bundle, "healthcheck", "--socket", socket]);
      expect(await new Promise(resolve => health.once("exit", resolve))).toBe(0);

      const envoy = connect(`unix:${socket}`);
      let ids: string[] = [];
      const deadline = Date.now() + 30_000;
      while (!ids.includes("gpt-4o-mini") && Date.now() < deadline) {
        const stream = envoy.open();
        const answer = await stream.send(
          requestHeaders("/v1/models", {
            method: "GET",
            endOfStream: true,
            routeName: `httproute/${ns}/openai/rule/0/match/0/*`,
          }),
        );
        stream.end();
        if (answer.immediate_response?.status?.code === "OK") {
          ids = JSON.parse(answer.immediate_response.body!.toString()).data.map(
            (m: { id: string }) => m.id,
          );
        } else {
          await new Promise(resolve => setTimeout(resolve, 250));
        }
      }
      envoy.close();
      expect(ids).toEqual(["gpt-4o-mini"]);

      const metrics = await fetch(`http://127.0.0.1:${serving.metricsPort}/metrics`);
      expect(await metrics.text()).toContain("aigw_requests_answered_total");

      const exited = new Promise(resolve => server.once("exit", resolve));
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      server.kill("SIGKILL");
    }
  }, 60_000);
});
