/**
 * Builds kube-apiserver, kube-controller-manager, kubectl and etcd from their Go modules, into a
 * cache folder keyed by version, so a second run starts in seconds.
 *
 * `go install k8s.io/kubernetes/cmd/...@v` is refused because k8s.io/kubernetes's go.mod has replace
 * directives (its staging modules are required at v0.0.0). A small wrapper module of our own
 * requires it and replaces every staging module with its published v0.X.Y; the list comes from the
 * module's own go.mod, so a release that adds a staging module needs no edit here.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GO_MOD_ENV, goBuild, requireGo } from "../../support/go";
import { run } from "../../support/run";
import { log } from "./log";
import { binDir, ETCD_VERSION, KUBERNETES_VERSION, WORK_DIR } from "./paths";

const KUBE_COMMANDS = ["kube-apiserver", "kube-controller-manager", "kubectl"];

export interface Binaries {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  etcd: string;
}

const requireGoForCluster = () =>
  requireGo(
    installGo =>
      `The cluster tests build kube-apiserver and etcd from Go modules: ${installGo}, or point AIGW_USE_EXISTING_CLUSTER=1 and KUBECONFIG at a cluster.`,
  );

function goModuleFile(module: string, version: string): string {
  const info = JSON.parse(
    run("go", ["mod", "download", "-json", `${module}@${version}`], { env: GO_MOD_ENV }),
  );
  return readFileSync(info.GoMod, "utf8");
}

/** A fresh wrapper module in `dir` that requires `tools` (packages of one module). */
function wrapperModule(dir: string, name: string, goMod: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "go.mod"), goMod);
  log(`resolving the dependencies of ${name} (first time: downloads from the Go module proxy)`);
}

function buildCommand(dir: string, ldflags: string, output: string, pkg: string): void {
  goBuild(
    { cwd: dir, pkg, output, flags: ["-trimpath", "-ldflags", ldflags] },
    { env: GO_MOD_ENV, stdio: ["ignore", "inherit", "inherit"] },
  );
}

function buildKubernetes(out: string): void {
  const version = `v${KUBERNETES_VERSION}`;
  const staging = `v0.${KUBERNETES_VERSION.split(".").slice(1).join(".")}`;
  const upstream = goModuleFile("k8s.io/kubernetes", version);
  const replaces = [...upstream.matchAll(/^\s*(k8s\.io\/[^\s]+)\s+=>\s+\.\/staging\//gm)].map(
    m => m[1],
  );
  const godebug = upstream.match(/^godebug\s+.+$/m)?.[0] ?? "";
  const goLine = upstream.match(/^go\s+\S+$/m)?.[0] ?? "go 1.26.0";
  const dir = join(WORK_DIR, "build", `kubernetes-${version}`);
  wrapperModule(
    dir,
    "Kubernetes",
    [
      "module example.local/ai-gateway-testcluster-kube",
      goLine,
      godebug,
      `require k8s.io/kubernetes ${version}`,
      `replace (\n${replaces.map(m => `\t${m} => ${m} ${staging}`).join("\n")}\n)`,
      "",
    ].join("\n\n"),
  );
  run("go", ["get", "-tool", ...KUBE_COMMANDS.map(c => `k8s.io/kubernetes/cmd/${c}@${version}`)], {
    cwd: dir,
    env: GO_MOD_ENV,
  });
  const ldflags = [
    "-s -w",
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/client-go/pkg/version.gitVersion=${version}`,
  ].join(" ");
  for (const command of KUBE_COMMANDS) {
    log(`building ${command} ${version} (a cold build takes several minutes)`);
    const started = Date.now();
    buildCommand(dir, ldflags, join(out, command), `k8s.io/kubernetes/cmd/${command}`);
    log(`built ${command} in ${Math.round((Date.now() - started) / 1000)}s`);
  }
}

function buildEtcd(out: string): void {
  const version = `v${ETCD_VERSION}`;
  const dir = join(WORK_DIR, "build", `etcd-${version}`);
  wrapperModule(dir, "etcd", "module example.local/ai-gateway-testcluster-etcd\n\ngo 1.26.0\n");
  run("go", ["get", "-tool", `go.etcd.io/etcd/server/v3@${version}`], {
    cwd: dir,
    env: GO_MOD_ENV,
  });
  log(`building etcd ${version}`);
  buildCommand(dir, "-s -w", join(out, "etcd"), "go.etcd.io/etcd/server/v3");
}

/** The binaries, built on first use. */
export function ensureBinaries(): Binaries {
  const kube = binDir("kubernetes", KUBERNETES_VERSION);
  const etcd = binDir("etcd", ETCD_VERSION);
  const binaries: Binaries = {
    kubeApiserver: join(kube, "kube-apiserver"),
    kubeControllerManager: join(kube, "kube-controller-manager"),
    kubectl: join(kube, "kubectl"),
    etcd: join(etcd, "etcd"),
  };
  const kubeReady = KUBE_COMMANDS.every(c => existsSync(join(kube, c)));
  if (!kubeReady || !existsSync(binaries.etcd)) requireGoForCluster();
  if (!kubeReady) buildKubernetes(kube);
  if (!existsSync(binaries.etcd)) buildEtcd(etcd);
  return binaries;
}
