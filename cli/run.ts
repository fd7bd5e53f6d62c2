/**
 * `ai-gateway run [-f FILE_OR_DIR]... [flags]`: the gateway as a local OpenAI-compatible server,
 * until SIGTERM or SIGINT. A configuration that does not validate exits with code 2 and the
 * validators' messages.
 */
import { routeTable } from "../run/route-table";
import { startRun, type RunDeps } from "../run/main";
import { ConfigError } from "../run/manifest-config";
import { RUN_FLAGS, runSettings, RunSettingsError } from "../run/settings";
import { errorMessage } from "../lib/error-message";
import type { CliIO } from "./main";
import { tuneGarbageCollectionForServing } from "../lib/garbage-collection";

export const RUN_USAGE = `Usage: ai-gateway run [-f FILE_OR_DIR]... [flags]

Serves the OpenAI API (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models) for the
AIGatewayRoutes in the files, with the AIServiceBackends, BackendSecurityPolicies, Envoy Gateway
Backends and Secrets they refer to, exactly as the cluster's data plane would. A folder stands for
its .yaml, .yml and .json files; "-" reads standard input. In a Secret's stringData, \${NAME} is the
environment variable NAME. The files are followed: a change that validates is served at once.

Without -f, serves a route per provider whose credentials are in the environment (OPENAI_API_KEY,
AZURE_OPENAI_API_KEY with AZURE_OPENAI_ENDPOINT, ANTHROPIC_API_KEY, AWS_ACCESS_KEY_ID with
AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS with GOOGLE_CLOUD_PROJECT), or else the local
Ollama (OLLAMA_HOST, default localhost:11434).

Flags:
${Object.keys(RUN_FLAGS)
  .map(flag => `  ${flag}`)
  .join("\n")}`;

type Running = Awaited<ReturnType<typeof startRun>>;

function printStart(running: Running, io: CliIO): void {
  const { config } = running;
  for (const warning of config.warnings) io.stderr(`warning: ${warning}\n`);
  const what = running.usesDefault ? "the default configuration (from the environment)" : "";
  io.stdout(`${routeTable(config.routes)}\n\n`);
  io.stdout(
    `AI gateway serving${what ? ` ${what}` : ""} at ${running.url}\n` +
      `  e.g. OPENAI_BASE_URL=${running.url}  (metrics: ${running.url.replace(/\/v1$/, "")}/metrics)\n`,
  );
}

export async function runCommand(args: string[], io: CliIO, deps: RunDeps = {}): Promise<number> {
  let settings;
  try {
    settings = runSettings(args);
  } catch (error) {
    if (!(error instanceof RunSettingsError)) throw error;
    io.stderr(`error: ${error.message}\n\n${RUN_USAGE}\n`);
    return 2;
  }
  tuneGarbageCollectionForServing();
  let running: Running;
  try {
    running = await startRun(settings, {
      readFile: io.readFile,
      onReload: event => {
        if (event.kind === "rejected") {
          for (const message of event.messages) io.stderr(`error: ${message}\n`);
          io.stderr("the change is not served; the last good configuration keeps serving\n");
          return;
        }
        for (const warning of event.warnings) io.stderr(`warning: ${warning}\n`);
        io.stdout(`configuration reloaded\n${routeTable(event.routes)}\n`);
      },
      ...deps,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const message of error.messages) io.stderr(`error: ${message}\n`);
      return 2;
    }
    io.stderr(`error: ${errorMessage(error)}\n`);
    return 1;
  }
  printStart(running, io);
  return new Promise<number>(resolve => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      running.stop().then(
        () => resolve(0),
        error => {
          io.stderr(`error: could not stop cleanly: ${errorMessage(error)}\n`);
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
