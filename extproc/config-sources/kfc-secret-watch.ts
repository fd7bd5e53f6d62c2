/**
 * The Secret watch of `SecretConfigSource`, with kubernetes-fluent-client. It reads the kubeconfig
 * the way kfc does (KUBECONFIG, or the in-cluster service account) and lists and watches Secrets in
 * one namespace with a label selector, so it needs get/list/watch on Secrets there and nothing else.
 *
 * kfc lists before it watches and again after every reconnect (and every `relistIntervalSec`),
 * turning the difference into ADDED/MODIFIED/DELETED events, so Secrets deleted while disconnected
 * are reported too. A list page is delivered synchronously after its `LIST` event (the callbacks
 * here do not await), so the end of the last page is the end of the list.
 */
import { K8s, kind, WatchEvent, type WatchCfg } from "kubernetes-fluent-client";
import type { Logger } from "winston";
import { componentLogger } from "../../lib/logger";
import { errorMessage } from "../../lib/error-message";
import type { SecretPhase, SecretWatchFactory } from "./secret-source";

/**
 * Pepr's watch defaults: five reconnects five seconds apart before giving up, a reconnect after five
 * minutes without an event, and a full re-list every ten minutes.
 */
export const DEFAULT_SECRET_WATCH_CFG: WatchCfg = {
  resyncFailureMax: 5,
  resyncDelaySec: 5,
  lastSeenLimitSeconds: 300,
  relistIntervalSec: 600,
};

const isPhase = (phase: string): phase is SecretPhase =>
  phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED";

export interface KfcSecretWatchOptions {
  /** kfc's retry and re-list settings; `DEFAULT_SECRET_WATCH_CFG` unless given. */
  watchCfg?: WatchCfg;
  /** For the watch's retries and errors; defaults to the `config` component logger. */
  logger?: Logger;
}

/**
 * A `SecretWatchFactory` over kfc's `Watch`. It reports `synced` after each complete list and
 * `gaveUp` when kfc gives up (after `resyncFailureMax` failed reconnects); list, watch and network
 * errors in between are logged as warnings while kfc retries.
 */
export function kfcSecretWatch(options: KfcSecretWatchOptions = {}): SecretWatchFactory {
  const config = options.watchCfg ?? DEFAULT_SECRET_WATCH_CFG;
  const log = options.logger ?? componentLogger("config");
  return ({ namespace, label }, handlers) => {
    const watcher = K8s(kind.Secret)
      .InNamespace(namespace)
      .WithLabel(label.key, label.value)
      .Watch(
        (secret, phase) => {
          if (isPhase(phase)) handlers.event(secret, phase);
        },
        { ...config },
      );
    const events = watcher.events;
    events.on(WatchEvent.LIST, (list: { metadata?: { continue?: string } } | undefined) => {
      // The page's items are delivered right after this event, in the same turn.
      if (!list?.metadata?.continue) queueMicrotask(() => handlers.synced());
    });
    events.on(WatchEvent.GIVE_UP, (error: unknown) =>
      handlers.gaveUp(error instanceof Error ? error : new Error(errorMessage(error))),
    );
    for (const event of [WatchEvent.LIST_ERROR, WatchEvent.WATCH_ERROR, WatchEvent.NETWORK_ERROR]) {
      events.on(event, (error: unknown) =>
        log.warn("the route configuration Secret watch failed; it retries", {
          namespace,
          event,
          error: errorMessage(error),
        }),
      );
    }
    // Its error quotes the event's text, which holds a Secret: never log it.
    events.on(WatchEvent.DATA_ERROR, () =>
      log.warn("a route configuration Secret event could not be decoded", { namespace }),
    );
    events.on(WatchEvent.RECONNECT, (attempt: number) =>
      log.info("reconnecting the route configuration Secret watch", { namespace, attempt }),
    );
    events.on(WatchEvent.OLD_RESOURCE_VERSION, () =>
      log.info("the route configuration Secret watch expired; listing again", { namespace }),
    );
    return {
      start: async () => {
        await watcher.start();
      },
      stop: () => watcher.close(),
    };
  };
}
