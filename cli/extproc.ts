/** `ai-gateway extproc [flags]`: runs the data plane until SIGTERM or SIGINT, then drains. */
import { startExtProc } from "../extproc/main";
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
    let fatal: (error: Error) => void = () => {};
    startExtProc(settings, { onFatal: error => fatal(error) }).then(running => {
      const stop = (code: number) => () => {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onTerm);
        running.stop().then(
          () => resolve(code),
          error => {
            io.stderr(`error: could not stop cleanly: ${errorMessage(error)}\n`);
            resolve(1);
          },
        );
      };
      const onTerm = stop(0);
      process.once("SIGTERM", onTerm);
      process.once("SIGINT", onTerm);
      // A configuration that can no longer be followed: exit, so the pod restarts fresh.
      fatal = () => stop(1)();
    }, reject);
  });
}
