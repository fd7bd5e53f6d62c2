/**
 * The entry point of the ext_proc image: `node server.js [flags]` runs `ai-gateway extproc`, and
 * `node server.js healthcheck` asks the running server's gRPC health service (for a container
 * runtime's HEALTHCHECK; Kubernetes probes use gRPC directly).
 */
import { extprocCommand } from "../cli/extproc";
import { checkHealth } from "./healthcheck";

const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
  readFile: () => {
    throw new Error("the ext_proc server reads no files from its command line");
  },
};

const [first, ...rest] = process.argv.slice(2);
const run =
  first === "healthcheck"
    ? checkHealth(rest, process.env)
    : extprocCommand(process.argv.slice(2), io);
run.then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
