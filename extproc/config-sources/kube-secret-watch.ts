/**
 * The Secret watch of `SecretConfigSource`, over the project's own API client (lib/kube-api.ts)
 * and `ListWatch`: one namespace, one label selector, so the server needs get/list/watch on Secrets
 * there and nothing else. It replaces kubernetes-fluent-client in the data plane, which cost the
 * server ~115 MB of resident memory (kfc and @kubernetes/client-node with their generated APIs).
 *
 * It lists, reports `synced`, then watches from the list's resourceVersion; after a 410 (the watch
 * cache moved on) or a reconnect it lists again, reporting the Secrets deleted meanwhile as
 * DELETED. After `maxFailures` failures in a row it gives up, so the Deployment restarts the pod.
 */
import type { Logger } from "winston";
import { connectOnFirstUse, type KubeApi } from "../../lib/kube-api";
import { ListWatch } from "../../lib/list-watch";
import { componentLogger } from "../../lib/logger";
import type { SecretObject, SecretWatchFactory } from "./secret-source";

export interface KubeSecretWatchOptions {
  /** The API client; the default kubeconfig's (in-cluster, or KUBECONFIG) unless given. */
  api?: () => Promise<KubeApi>;
  /** For the watch's retries; defaults to the `config` component logger. */
  logger?: Logger;
  /**
   * Failures in a row before giving up. Default 8: with the back-off (0.5 s doubling, at most
   * 30 s) about a minute without the API server.
   */
  maxFailures?: number;
  /** The longest wait between attempts. Default 30 s. */
  maxDelayMs?: number;
  /** How long the API server keeps one watch open. Default 300 s. */
  timeoutSeconds?: number;
}

export function kubeSecretWatch(options: KubeSecretWatchOptions = {}): SecretWatchFactory {
  const api = options.api ?? connectOnFirstUse();
  const log = options.logger ?? componentLogger("config");
  return ({ namespace, label }, handlers) => {
    const watch = new ListWatch<SecretObject>(
      api,
      { group: "", version: "v1", plural: "secrets", namespace },
      {
        mode: "objects",
        labelSelector: `${label.key}=${label.value}`,
        onEvent: (secret, phase) => handlers.event(secret, phase),
        onSynced: () => handlers.synced(),
        // The error names the request and the API server's status, never a Secret's contents.
        onRetry: (error, attempt) =>
          log.warn("the route configuration Secret watch failed; it retries", {
            namespace,
            attempt,
            error,
          }),
        maxFailures: options.maxFailures ?? 8,
        onGaveUp: error => handlers.gaveUp(error),
        ...(options.maxDelayMs !== undefined && { maxDelayMs: options.maxDelayMs }),
        ...(options.timeoutSeconds !== undefined && { timeoutSeconds: options.timeoutSeconds }),
      },
    );
    return {
      // The first list runs in the background: `synced` or `gaveUp` says how it went.
      start: async () => {
        watch.start().catch(() => undefined);
      },
      stop: () => void watch.stop(),
    };
  };
}
