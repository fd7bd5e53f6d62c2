/**
 * The ext_proc server as its image runs it, for the install test and the benchmark: the bundle
 * `npm run build:extproc` writes, copied where no node_modules can be found (the image has none, so
 * whatever the bundle leaves out stays out), started with the node flags of the Dockerfile's
 * ENTRYPOINT and the environment of its ENV lines. What is tested and measured is what ships: a
 * server run from the TypeScript sources loads differently and holds different memory.
 */
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");
/** Where `npm run build:extproc` writes the bundle and its .proto files. */
export const BUILT_BUNDLE_DIR = join(ROOT, "dist/extproc");
const IMAGE_BUNDLE = "/app/server.js";

export function buildImageBundle(): void {
  execFileSync("npm", ["run", "build:extproc"], { cwd: ROOT, stdio: "ignore" });
}

/** node's flags in the Dockerfile's ENTRYPOINT, which must run `node [flags] /app/server.js`. */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const line = dockerfile.split("\n").find(l => l.startsWith("ENTRYPOINT "));
  const entrypoint: unknown = line && JSON.parse(line.slice("ENTRYPOINT ".length));
  if (
    !Array.isArray(entrypoint) ||
    entrypoint[0] !== "node" ||
    entrypoint[entrypoint.length - 1] !== IMAGE_BUNDLE
  ) {
    throw new Error(`the Dockerfile's ENTRYPOINT is no longer ["node", ..., "${IMAGE_BUNDLE}"]`);
  }
  return entrypoint.slice(1, -1);
}

/**
 * The environment the Dockerfile's final stage sets (`ENV NAME=value ...` lines), which the
 * server runs with in the image: the variables that tune node and its allocator.
 */
export function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const stages = [...dockerfile.matchAll(/^FROM /gm)];
  if (stages.length === 0) throw new Error("the Dockerfile has no FROM line");
  const finalStage = dockerfile.slice(stages[stages.length - 1].index);
  const env: Record<string, string> = {};
  for (const line of finalStage.split("\n").filter(l => l.startsWith("ENV "))) {
    for (const pair of line.slice("ENV ".length).trim().split(/\s+/)) {
      const equals = pair.indexOf("=");
      const [name, value] = [pair.slice(0, equals), pair.slice(equals + 1)];
      if (equals < 1 || /["'$]/.test(pair)) {
        throw new Error(
          `the Dockerfile's "${line}" is no longer NAME=value pairs without quotes or variables`,
        );
      }
      env[name] = value;
    }
  }
  return env;
}

/** Copies the built bundle into `dir`/app, as the image holds it; returns its server.js. */
export function copyImageBundle(dir: string): string {
  const app = join(dir, "app");
  cpSync(BUILT_BUNDLE_DIR, app, { recursive: true });
  return join(app, "server.js");
}

/** Builds the bundle, copies it into `dir`; node's arguments to start it as the image does. */
export function imageServerArgs(dir: string): string[] {
  buildImageBundle();
  return [...imageNodeFlags(), copyImageBundle(dir)];
}
