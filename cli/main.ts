/**
 * The `ai-gateway` command. `translate -f FILE...` prints, as YAML, every object the controller would
 * write for the given manifests (invalid input gets the admission webhook's messages and exit code
 * 1); `extproc` runs the data plane.
 */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { DEFAULT_SETTINGS } from "../controller/settings";
import { EXTPROC_USAGE, extprocCommand } from "./extproc";
import { ManifestError, parseManifests } from "./manifests";
import { SourcedManifest, translate } from "./translate";
import { errorMessage, systemErrorCode } from "../lib/error-message";

const USAGE = `Usage: ai-gateway translate -f FILE [-f FILE...]
       ai-gateway extproc [flags]     (see ai-gateway extproc --help)

translate prints the HTTPRoutes, Envoy Gateway filters, Backends, EnvoyExtensionPolicies and ext_proc
configuration Secrets the controller would write for the AIGatewayRoutes, AIServiceBackends,
BackendSecurityPolicies, Backends and Secrets in FILE ("-" reads standard input).`;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
}

function filesFrom(args: string[]): string[] {
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
      io.stdout(`${EXTPROC_USAGE}\n`);
      return 0;
    }
    return extprocCommand(rest, io);
  }
  if (command !== "translate") {
    io.stderr(`unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  let inputs: SourcedManifest[];
  try {
    inputs = filesFrom(rest).flatMap(file => {
      let text: string;
      try {
        text = io.readFile(file === "-" ? "/dev/stdin" : file);
      } catch (error) {
        throw new ManifestError(
          `${file}: cannot read: ${systemErrorCode(error) ?? errorMessage(error)}`,
        );
      }
      return parseManifests(text, file);
    });
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
