/**
 * Builds Envoy Gateway's commands (`egctl`, and the `envoy-gateway` controller) from the
 * `github.com/envoyproxy/gateway` Go module into a cache folder keyed by version, as the Kubernetes
 * binaries are. Its go.mod has no replace directives, so `go install <cmd>@<version>` builds them
 * without a wrapper module of ours.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { binDir } from "./paths";
import { log, run } from "./run";

/** The Envoy Gateway release the generated objects are checked against. */
export const ENVOY_GATEWAY_VERSION = "1.9.1";

const MODULE = "github.com/envoyproxy/gateway";
// No GOFLAGS=-mod=mod here: `go install <cmd>@<version>` builds the module as released.
const GO_ENV = { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };

export type EnvoyGatewayCommand = "egctl" | "envoy-gateway";

/** Where a command's binary is (or will be) cached. */
export const envoyGatewayBinary = (command: EnvoyGatewayCommand) =>
  join(binDir("envoy-gateway", ENVOY_GATEWAY_VERSION), command);

function requireGo(command: EnvoyGatewayCommand, purpose: string): void {
  try {
    run("go", ["version"], { env: GO_ENV });
  } catch {
    throw new Error(
      `${purpose} needs ${command} v${ENVOY_GATEWAY_VERSION}, built from the Go module ${MODULE}: ` +
        `install Go 1.26 or newer (https://go.dev/dl) with access to a Go module proxy, or put the ` +
        `binary at ${envoyGatewayBinary(command)}.`,
    );
  }
}

/**
 * The command's binary, built on first use (a cold build of egctl takes minutes: it links Envoy
 * Gateway's whole translator). `purpose` names the caller in the message when Go is missing.
 */
export function ensureEnvoyGatewayBinary(command: EnvoyGatewayCommand, purpose: string): string {
  const binary = envoyGatewayBinary(command);
  if (existsSync(binary)) return binary;
  requireGo(command, purpose);
  // `go install` writes into GOBIN; an interrupted build must not look like a cached binary, so it
  // builds into a scratch folder of this process and the binary is moved into place once complete.
  const scratch = `${binary}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const version = `v${ENVOY_GATEWAY_VERSION}`;
  log(`building ${command} ${version} from ${MODULE} (a cold build takes several minutes)`);
  const started = Date.now();
  run("go", ["install", "-trimpath", "-ldflags", "-s -w", `${MODULE}/cmd/${command}@${version}`], {
    env: { ...GO_ENV, GOBIN: scratch },
    stdio: ["ignore", "pipe", "inherit"],
  });
  renameSync(join(scratch, command), binary);
  rmSync(scratch, { recursive: true, force: true });
  log(`built ${command} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}
