/** `ai-gateway extproc [flags]`: runs the data plane until SIGTERM or SIGINT, then drains. */
import { startExtProc, type RunningExtProc } from "../extproc/main";
import { extProcSettings, SETTING_NAMES, SettingsError } from "../extproc/settings";
import { errorMessage } from "../lib/error-message";
import { Cancellation } from "../pipeline/cancellation";
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
    const abortStart = new Cancellation();
    const detach = () => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onTerm);
    };
    const stop = (code: number) => {
      if (stopWith !== undefined) return;
      stopWith = code;
      detach();
      if (running) stopRunning(running, code, true);
      // A signal during the start gives it up: it may wait a minute on an API server that fails.
      // (A fatal error during the start ends the start by itself.)
      else if (code === 0) abortStart.cancel(new Error("stopped while starting"));
    };
    const stopRunning = (server: RunningExtProc, code: number, tookTraffic: boolean) =>
      server.stop({ tookTraffic }).then(
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
    startExtProc(settings, { onFatal: () => stop(1), abortStart }).then(
      server => {
        running = server;
        // Asked to stop as the start ended: it served nothing, so no delay.
        if (stopWith !== undefined) stopRunning(server, stopWith, false);
      },
      error => {
        detach();
        if (abortStart.cancelled) resolve(0);
        else reject(error);
      },
    );
  });
}
