/** The module's one controller instance and how it starts (only where Pepr runs watches). */
import { settingsFromEnv } from "../../controller/settings";
import { componentLogger } from "../../lib/logger";
import { ApiClusterClient } from "../../controller/cluster-client";
import { Controller, DEFAULT_QUEUE_OPTIONS } from "../../controller/controller";
import { kubeApi } from "./api-connection";
import { watchReferences } from "./reference-watches";
import { errorMessage } from "../../lib/error-message";

const log = componentLogger("controller");

export const settings = settingsFromEnv(process.env);
// Paused until the cluster is known: see `startController`.
export const controller = new Controller(new ApiClusterClient(kubeApi), settings, {
  queue: { ...DEFAULT_QUEUE_OPTIONS, startPaused: true },
});

/** The watcher pod and `pepr dev` reconcile; the admission pods and `pepr build` must not. */
export const reconcilesHere = () =>
  process.env.PEPR_WATCH_MODE === "true" || process.env.PEPR_MODE === "dev";

const RETRY_MS = 5_000;

/**
 * Creates the configuration store and lists the AI Gateway kinds (retrying until the API server
 * lets it), starts the watches of what they refer to, and only then starts reconciling.
 */
export async function startController(): Promise<void> {
  for (;;) {
    try {
      await controller.start();
      break;
    } catch (error) {
      log.warn("could not open the configuration store or list the AI Gateway kinds; retrying", {
        error: errorMessage(error),
      });
      await new Promise(resolve => setTimeout(resolve, RETRY_MS));
    }
  }
  await watchReferences(controller);
  controller.queue.resume();
  log.info("controller started", {
    extProcNamespace: settings.extProcNamespace,
    configSecretPrefix: settings.configSecretPrefix,
  });
}
