/** The module's one controller instance and how it starts (only where Pepr runs watches). */
import { settingsFromEnv } from "../../controllers/settings";
import { componentLogger } from "../../lib/logger";
import { KfcClusterClient } from "../../reconcilers/cluster-client";
import { Controller } from "../../reconcilers/controller";
import { watchReferences } from "./reference-watches";

const log = componentLogger("controller");

export const settings = settingsFromEnv(process.env);
export const controller = new Controller(new KfcClusterClient(), settings);

/** The watcher pod and `pepr dev` reconcile; the admission pods and `pepr build` must not. */
export const reconcilesHere = () =>
  process.env.PEPR_WATCH_MODE === "true" || process.env.PEPR_MODE === "dev";

const RETRY_MS = 5_000;

/** Creates the configuration store (retrying until the API server lets it) and starts the watches. */
export async function startController(): Promise<void> {
  for (;;) {
    try {
      await controller.start();
      break;
    } catch (error) {
      log.warn("could not create the configuration store; retrying", {
        error: (error as Error).message,
      });
      await new Promise(resolve => setTimeout(resolve, RETRY_MS));
    }
  }
  await watchReferences(controller);
  log.info("controller started", {
    extProcNamespace: settings.extProcNamespace,
    shards: settings.configShards,
  });
}
