/**
 * Building Go programs for the tests and benchmarks (our own tools, Kubernetes, etcd, Envoy
 * Gateway): one environment, one check that Go is there, one build that never leaves half a binary.
 */
import { mkdirSync, renameSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { SpawnSyncOptions } from "node:child_process";
import { run } from "./run";

/** The Go this machine has (no toolchain download), static binaries. */
export const GO_ENV = { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };

/** Also resolves a module's missing requirements while building it (our wrapper modules). */
export const GO_MOD_ENV = { ...GO_ENV, GOFLAGS: "-mod=mod" };

const INSTALL_GO = "install Go 1.26 or newer (https://go.dev/dl) with access to a Go module proxy";

/** Throws `explain(hint)`, the hint saying how to install Go, when no Go toolchain runs. */
export function requireGo(explain: (installGo: string) => string): void {
  try {
    run("go", ["version"], { env: GO_ENV });
  } catch {
    throw new Error(explain(INSTALL_GO));
  }
}

/**
 * `go build <flags> -o <output> <pkg>` in `cwd`, built under a temporary name and renamed once
 * complete: an interrupted build must not look like a cached binary.
 */
export function goBuild(
  build: { cwd: string; pkg: string; output: string; flags: string[] },
  options: Pick<SpawnSyncOptions, "env" | "stdio"> = {},
): void {
  // Absolute: go resolves -o from `cwd`, the caller a relative path from its own.
  const output = resolve(build.output);
  mkdirSync(dirname(output), { recursive: true });
  const partial = `${output}.partial`;
  run("go", ["build", ...build.flags, "-o", partial, build.pkg], {
    cwd: build.cwd,
    env: GO_ENV,
    ...options,
  });
  renameSync(partial, output);
}
