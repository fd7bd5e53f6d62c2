/**
 * The `ai-gateway` command. `translate -f FILE...` prints, as YAML, every object the controller would
 * write for the given manifests (invalid input gets the admission webhook's messages and exit code
 * 1); `run` serves them as a local OpenAI-compatible gateway; `extproc` runs the data plane.
 */
import { readFileSync } from "node:fs";
import type { SourcedManifest } from "./translate";

// Each command's modules are loaded when it runs: `extproc` is a long-lived server, and the
// controller's builders, the YAML printer and `run`'s front door would sit in its memory unused.
// require, not import(): see extproc/main.ts.
/* eslint-disable @typescript-eslint/no-require-imports */
const extproc = () => require("./extproc") as typeof import("./extproc");
const run = () => require("./run") as typeof import("./run");
const manifests = () => require("./manifests") as typeof import("./manifests");
/* eslint-enable @typescript-eslint/no-require-imports */

const USAGE = `Usage: ai-gateway translate -f FILE_OR_DIR [-f FILE_OR_DIR...]
       ai-gateway run [-f FILE_OR_DIR]... [flags]   (see ai-gateway run --help)
       ai-gateway extproc [flags]     (see ai-gateway extproc --help)

translate prints the HTTPRoutes, Envoy Gateway filters, Backends, EnvoyExtensionPolicies and ext_proc
configuration Secrets the controller would write for the AIGatewayRoutes, AIServiceBackends,
BackendSecurityPolicies, Backends and Secrets in FILE_OR_DIR (a folder's .yaml, .yml and .json files;
"-" reads standard input). run serves them on this machine as an OpenAI-compatible API.`;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
}

function filesFrom(args: string[]): string[] {
  const { ManifestError } = manifests();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-f" || arg === "--filename") {
      const file = args[++i];
      if (file === undefined) throw new ManifestError(`${arg} needs a file name`);
      files.push(file);
    } else if (arg.startsWith("--filename=")) {
      files.push(arg.slice("--filename=".length));
    } else {
      throw new ManifestError(`unknown argument "${arg}"`);
    }
  }
  if (files.length === 0) throw new ManifestError("give at least one file with -f");
  return files;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(args: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.stdout(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === "extproc") {
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(`${extproc().EXTPROC_USAGE}\n`);
      return 0;
    }
    return extproc().extprocCommand(rest, io);
  }
  if (command === "run") {
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(`${run().RUN_USAGE}\n`);
      return 0;
    }
    return run().runCommand(rest, io);
  }
  if (command !== "translate") {
    io.stderr(`unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DEFAULT_SETTINGS } =
    require("../controller/settings") as typeof import("../controller/settings");
  const { translate } = require("./translate") as typeof import("./translate");
  const { stringify } = require("yaml") as typeof import("yaml");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { ManifestError, readManifests } = manifests();
  let inputs: SourcedManifest[];
  try {
    inputs = readManifests(filesFrom(rest), io.readFile);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return 2;
  }
  const result = await translate(inputs, DEFAULT_SETTINGS);
  for (const warning of result.warnings) io.stderr(`warning: ${warning}\n`);
  if (result.errors.length > 0) {
    for (const error of result.errors) io.stderr(`error: ${error}\n`);
    return 1;
  }
  io.stdout(result.objects.map(object => stringify(object, { lineWidth: 0 })).join("---\n"));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    readFile: path => readFileSync(path, "utf8"),
  }).then(code => {
    process.exitCode = code;
  });
}
