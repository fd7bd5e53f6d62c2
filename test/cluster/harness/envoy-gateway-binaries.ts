/**
 * Builds Envoy Gateway's commands from the `github.com/envoyproxy/gateway` Go module into a cache
 * folder keyed by version, as the Kubernetes binaries are: `egctl` as released (its go.mod has no
 * replace directives, so `go install <cmd>@<version>` builds it without a wrapper module of ours),
 * and the `envoy-gateway` controller from a copy of the module with a few constants changed so that
 * it runs out of a cluster (see `OUT_OF_CLUSTER_EDITS`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GO_ENV, goBuild, requireGo } from "../../support/go";
import { run } from "../../support/run";
import { log } from "./log";
import { binDir, WORK_DIR } from "./paths";

/** The Envoy Gateway release the generated objects are checked against. */
export const ENVOY_GATEWAY_VERSION = "1.9.1";

const MODULE = "github.com/envoyproxy/gateway";

/** `egctl` as released, and the controller built to run out of a cluster. */
type EnvoyGatewayCommand = "egctl" | "envoy-gateway-out-of-cluster";

/** Where a command's binary is (or will be) cached. */
const envoyGatewayBinary = (command: EnvoyGatewayCommand) =>
  join(binDir("envoy-gateway", ENVOY_GATEWAY_VERSION), command);

/**
 * `egctl`, built on first use (a cold build takes minutes: it links Envoy Gateway's whole
 * translator). `purpose` names the caller in the message when Go is missing.
 */
export function ensureEgctl(purpose: string): string {
  const command = "egctl";
  const binary = envoyGatewayBinary(command);
  if (existsSync(binary)) return binary;
  requireGo(
    installGo =>
      `${purpose} needs egctl v${ENVOY_GATEWAY_VERSION}, built from the Go module ${MODULE}: ${installGo}, or put the binary at ${binary}.`,
  );
  // `go install` writes into GOBIN; an interrupted build must not look like a cached binary, so it
  // builds into a scratch folder of this process and the binary is moved into place once complete.
  const scratch = `${binary}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const version = `v${ENVOY_GATEWAY_VERSION}`;
  log(`building ${command} ${version} from ${MODULE} (a cold build takes several minutes)`);
  const started = Date.now();
  // GO_ENV, without -mod=mod: `go install <cmd>@<version>` builds the module as released.
  run("go", ["install", "-trimpath", "-ldflags", "-s -w", `${MODULE}/cmd/${command}@${version}`], {
    env: { ...GO_ENV, GOBIN: scratch },
    stdio: ["ignore", "pipe", "inherit"],
  });
  renameSync(join(scratch, command), binary);
  rmSync(scratch, { recursive: true, force: true });
  log(`built ${command} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}

/**
 * What the controller needs changed to run out of a cluster, each a textual edit of the module's own
 * source, checked to match exactly `count` times so that a new version fails loudly here instead of
 * building a controller that silently reads `/certs` again. Go refuses `-overlay` for files in the
 * module cache, so the edits are made on a copy of the module.
 */
const OUT_OF_CLUSTER_EDITS: Array<{ file: string; from: string; to: string; count: number }> = [
  // The xDS server's certificate, key and CA are fixed paths under /certs (the Secret's mount in
  // its Pod), with no flag: relative paths make them the working directory's certs/.
  { file: "internal/xds/runner/runner.go", from: '"/certs/', to: '"certs/', count: 3 },
  // The xDS server listens on the fixed port 18000: on loopback only, not on every interface.
  {
    file: "internal/xds/runner/runner.go",
    from: 'XdsServerAddress = "0.0.0.0"',
    to: 'XdsServerAddress = "127.0.0.1"',
    count: 1,
  },
  // Health probes on :8081 and controller-runtime's metrics on :8080, both fixed and on every
  // interface: off ("0"), so that two controllers run side by side and clash with nothing.
  {
    file: "internal/provider/kubernetes/kubernetes.go",
    from: 'healthProbeBindAddress = ":8081"',
    to: 'healthProbeBindAddress = "0"',
    count: 1,
  },
  {
    file: "internal/provider/kubernetes/kubernetes.go",
    from: "\t\tHealthProbeBindAddress:  healthProbeBindAddress,\n",
    to: '\t\tHealthProbeBindAddress:  healthProbeBindAddress,\n\t\tMetrics: metricsserver.Options{BindAddress: "0"},\n',
    count: 1,
  },
];

const editsDigest = () =>
  createHash("sha256").update(JSON.stringify(OUT_OF_CLUSTER_EDITS)).digest("hex").slice(0, 12);

/** A writable copy of the module's source with `OUT_OF_CLUSTER_EDITS` made, in `dir`. */
function editedModuleCopy(dir: string, version: string): void {
  const info = JSON.parse(
    run("go", ["mod", "download", "-json", `${MODULE}@${version}`], { env: GO_ENV }),
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, ".."), { recursive: true });
  // Module-cache files are read-only.
  run("cp", ["-R", info.Dir, dir]);
  run("chmod", ["-R", "u+w", dir]);
  for (const edit of OUT_OF_CLUSTER_EDITS) {
    const path = join(dir, edit.file);
    const source = readFileSync(path, "utf8");
    const found = source.split(edit.from).length - 1;
    if (found !== edit.count) {
      throw new Error(
        `building envoy-gateway ${version} to run out of a cluster: expected ${edit.count} of ${JSON.stringify(edit.from)} in ${edit.file}, found ${found}; update OUT_OF_CLUSTER_EDITS in test/cluster/harness/envoy-gateway-binaries.ts for this version`,
      );
    }
    writeFileSync(path, source.replaceAll(edit.from, edit.to));
  }
}

/**
 * The `envoy-gateway` controller, built on first use to run out of a cluster: it reads its xDS
 * certificates from `certs/` under its working directory and binds no fixed port on every
 * interface. Rebuilt when `OUT_OF_CLUSTER_EDITS` change. A cold build takes about as long as egctl's;
 * with egctl's packages in the Go build cache, under a minute.
 */
export function ensureEnvoyGatewayController(purpose: string): string {
  const command = "envoy-gateway-out-of-cluster";
  const binary = envoyGatewayBinary(command);
  const stamp = `${binary}.edits`;
  const digest = editsDigest();
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, "utf8") === digest)
    return binary;
  // Built with edits of ours, so a released binary cannot stand in for it.
  requireGo(
    installGo =>
      `${purpose} needs the envoy-gateway controller v${ENVOY_GATEWAY_VERSION}, built from a copy of the Go module ${MODULE} with the edits in test/cluster/harness/envoy-gateway-binaries.ts: ${installGo}.`,
  );
  const version = `v${ENVOY_GATEWAY_VERSION}`;
  const source = join(WORK_DIR, "build", `envoy-gateway-${version}`);
  log(`building envoy-gateway ${version} to run out of a cluster (a cold build takes minutes)`);
  const started = Date.now();
  editedModuleCopy(source, version);
  // Built as the main module: the same dependency versions as `go install ...@version` selects.
  const ldflags = `-s -w -X ${MODULE}/internal/cmd/version.envoyGatewayVersion=${version}`;
  // goBuild's GO_ENV, without -mod=mod: the module's own go.sum is complete, as released.
  goBuild(
    {
      cwd: source,
      pkg: "./cmd/envoy-gateway",
      output: binary,
      flags: ["-trimpath", "-ldflags", ldflags],
    },
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  writeFileSync(stamp, digest);
  rmSync(source, { recursive: true, force: true });
  log(`built envoy-gateway in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}
