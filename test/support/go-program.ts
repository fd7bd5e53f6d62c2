/**
 * Small Go programs of our own (test tools, the benchmark's native load driver): each a folder with
 * go.mod, go.sum and its .go files, built on first use into `bin/<digest of those files>/` inside
 * the folder, so an edit rebuilds and a second run starts at once.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { GO_MOD_ENV, goBuild, requireGo } from "./go";

/** The program in `dir`, built if needed; `purpose` says why Go is needed when it is missing. */
export function goProgram(dir: string, purpose: string): string {
  const sources = readdirSync(dir)
    .filter(file => file === "go.mod" || file === "go.sum" || file.endsWith(".go"))
    .sort();
  const hash = createHash("sha256");
  for (const file of sources) hash.update(`${file}\0`).update(readFileSync(join(dir, file)));
  const binary = join(dir, "bin", hash.digest("hex").slice(0, 16), basename(dir));
  if (existsSync(binary)) return binary;
  requireGo(installGo => `${purpose}: ${installGo}.`);
  const started = Date.now();
  goBuild(
    { cwd: dir, pkg: ".", output: binary, flags: ["-trimpath", "-buildvcs=false"] },
    { env: GO_MOD_ENV },
  );
  console.info(`built ${basename(dir)} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}
