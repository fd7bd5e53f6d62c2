/**
 * Small Go programs of our own (test tools, the benchmark's native load driver): each a folder with
 * go.mod, go.sum and its .go files, built on first use into `bin/<digest of those files>/` inside
 * the folder, so an edit rebuilds and a second run starts at once.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../cluster/harness/run";

const GO_ENV = {
  ...process.env,
  GOTOOLCHAIN: "local",
  GOFLAGS: "-mod=mod",
  CGO_ENABLED: "0",
};

/** The program in `dir`, built if needed; `purpose` says why Go is needed when it is missing. */
export function goProgram(dir: string, purpose: string): string {
  const sources = readdirSync(dir)
    .filter(file => file === "go.mod" || file === "go.sum" || file.endsWith(".go"))
    .sort();
  const hash = createHash("sha256");
  for (const file of sources) hash.update(`${file}\0`).update(readFileSync(join(dir, file)));
  const binary = join(dir, "bin", hash.digest("hex").slice(0, 16), basename(dir));
  if (existsSync(binary)) return binary;
  try {
    run("go", ["version"], { env: GO_ENV });
  } catch {
    throw new Error(
      `${purpose}: install Go 1.26 or newer (https://go.dev/dl) with access to a Go module proxy.`,
    );
  }
  mkdirSync(join(binary, ".."), { recursive: true });
  const started = Date.now();
  // An interrupted build must not look like a cached binary: build to another name, then rename.
  run("go", ["build", "-trimpath", "-buildvcs=false", "-o", `${binary}.partial`, "."], {
    cwd: dir,
    env: GO_ENV,
  });
  renameSync(`${binary}.partial`, binary);
  console.info(`built ${basename(dir)} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}
