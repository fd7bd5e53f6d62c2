/** `ai-gateway extproc [flags]`: runs the data plane until SIGTERM or SIGINT, then drains. */
import { startExtProc, type RunningExtProc } from "../extproc/main";
import { extProcSettings, SETTING_NAMES, SettingsError } from "../extproc/settings";
import { errorMessage } from "../lib/error-message";
import { tuneGarbageCollectionForServing } from "../lib/garbage-collection";
import type { CliIO } from "./main";

export const EXTPROC_USAGE = `Usage: ai-gateway extproc [flags]

Runs the ext_proc server that Envoy Gateway calls for every request of the AIGatewayRoutes.
Each flag also reads from its environment variable; a flag wins.
${Object.values(SETTING_NAMES)
  .map(({ flag, env }) => `  ${flag.padEnd(28)} ${env}`)
  .join("\n")}`;

export async function extprocCommand(
  args: string[],
  io: CliIO,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let settings;
  try {
    settings = extProcSettings(args, env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    io.stderr(`error: ${error.message}\n\n${EXTPROC_USAGE}\n`);
    return 2;
  }
  tuneGarbageCollectionForServing();
  return new Promise<number>((resolve, reject) => {
    let running: RunningExtProc | undefined;
    /** The exit code asked for, by a signal or a fatal error, once it is. */
    let stopWith: number | undefined;
    const stop = (code: number) => {
      if (stopWith !== undefined) return;
      stopWith = code;
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onTerm);
      // Asked during the start: the stop follows it (a start that fails ends with its error).
      if (running) stopRunning(running, code);
    };
    const stopRunning = (server: RunningExtProc, code: number) =>
      server.stop().then(
        () => resolve(code),
        error => {
          io.stderr(`error: could not stop cleanly: ${errorMessage(error)}\n`);
          resolve(1);
        },
      );
    // Before the start, which can take a while: PID 1 ignores a SIGTERM it has no handler for.
    const onTerm = () => stop(0);
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onTerm);
    // A configuration that can no longer be followed: exit, so the pod restarts fresh.
    startExtProc(settings, { onFatal: () => stop(1) }).then(
      server => {
        running = server;
        if (stopWith !== undefined) stopRunning(server, stopWith);
      },
      error => {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onTerm);
        reject(error);
      },
    );
  });
}
