/**
 * Route documents from the control plane's configuration Secrets: one Secret per AIGatewayRoute in
 * the ext_proc server's namespace, labelled `CONFIG_LABEL: <prefix>`, with the document (base64)
 * under `data[CONFIG_DATA_KEY]` (see contract/route-config.ts).
 *
 * The source watches that one namespace only (the server may get, list and watch Secrets there and
 * nowhere else). The watch itself is a `SecretWatchFactory`: `kubeSecretWatch()` in production
 * (kube-secret-watch.ts), anything that delivers the same events in tests.
 */
import type { Logger } from "winston";
import { componentLogger } from "../../lib/logger";
import { errorMessage } from "../../lib/error-message";
import {
  CONFIG_DATA_KEY,
  CONFIG_LABEL,
  CONFIG_ROUTE_ANNOTATION,
} from "../../contract/route-config";
import type { ConfigCounts, ConfigSource, ConfigSourceOptions } from "./config-source";
import { RouteLoader } from "./route-loader";

/** The parts of a Secret the source reads. */
export interface SecretObject {
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
  /** Values in base64, as the API server returns them. */
  data?: Record<string, string>;
}

export type SecretPhase = "ADDED" | "MODIFIED" | "DELETED";

/** What a watch must report to the source. */
export interface SecretWatchHandlers {
  /** A labelled Secret in the namespace was added, changed or deleted. */
  event(secret: SecretObject, phase: SecretPhase): void;
  /**
   * Every Secret of a complete list has been delivered through `event` (the first call ends the
   * initial list; a watch that re-lists may call it again).
   */
  synced(): void;
  /** The watch stopped for good: no more events will come. */
  gaveUp(error: Error): void;
}

/** Which Secrets to watch. */
export interface SecretWatchTarget {
  namespace: string;
  label: { key: string; value: string };
}

/** A running watch. */
export interface SecretWatch {
  /** Starts the list and the watch; resolving does not mean the list arrived (`synced` says so). */
  start(): Promise<void>;
  stop(): void;
}

export type SecretWatchFactory = (
  target: SecretWatchTarget,
  handlers: SecretWatchHandlers,
) => SecretWatch;

export interface SecretConfigSourceOptions extends ConfigSourceOptions {
  /** The ext_proc server's namespace, where the control plane writes the Secrets. */
  namespace: string;
  /** The Secret name prefix, which is also the value of the label that marks the Secrets. */
  prefix: string;
  /** The label's key; `CONFIG_LABEL` unless overridden. */
  labelKey?: string;
  /** The watch transport, e.g. `kubeSecretWatch()`. */
  watch: SecretWatchFactory;
}

/**
 * Serves the documents of the labelled Secrets in one namespace and follows their changes.
 *
 * - ADDED/MODIFIED: the Secret's document is loaded; an invalid one is logged (the store's message)
 *   and counted, and its route keeps its last good document.
 * - DELETED: the route the Secret last carried is removed.
 * - `start()` resolves once the initial list is in the store; it rejects if the watch gives up (or
 *   `stop()` is called) before that. A watch that gives up later is reported to `onFailure`.
 */
export class SecretConfigSource implements ConfigSource {
  private readonly loader: RouteLoader;
  private readonly log: Logger;
  private readonly target: SecretWatchTarget;
  private watch?: SecretWatch;
  private synced = false;
  private failed = false;
  private stopped = false;
  private settleStart?: { resolve(): void; reject(error: Error): void };

  constructor(private readonly options: SecretConfigSourceOptions) {
    this.log = options.logger ?? componentLogger("config");
    this.loader = new RouteLoader(options.store, this.log, options.onEvent);
    this.target = {
      namespace: options.namespace,
      label: { key: options.labelKey ?? CONFIG_LABEL, value: options.prefix },
    };
  }

  /** True once the initial list is loaded, until the watch gives up or the source is stopped. */
  ready(): boolean {
    return this.synced && !this.failed && !this.stopped;
  }

  /** Running totals of loads, refusals and removals. */
  counts(): Readonly<ConfigCounts> {
    return { ...this.loader.counts };
  }

  async start(): Promise<void> {
    if (this.watch) throw new Error("the Secret configuration source is already started");
    const initialList = new Promise<void>((resolve, reject) => {
      this.settleStart = { resolve, reject };
    });
    // Settled before it is awaited when the watch gives up while starting.
    initialList.catch(() => undefined);
    this.watch = this.options.watch(this.target, {
      event: (secret, phase) => this.onEvent(secret, phase),
      synced: () => this.onSynced(),
      gaveUp: error => this.onGaveUp(error),
    });
    this.log.info("watching route configuration Secrets", {
      namespace: this.target.namespace,
      labelSelector: `${this.target.label.key}=${this.target.label.value}`,
    });
    try {
      await this.watch.start();
    } catch (error) {
      this.watch.stop();
      throw error;
    }
    await initialList;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watch?.stop();
    this.settleStart?.reject(new Error("the Secret configuration source was stopped"));
    this.settleStart = undefined;
  }

  private onEvent(secret: SecretObject, phase: SecretPhase): void {
    if (this.stopped || this.failed) return;
    const name = secret.metadata?.name;
    const namespace = secret.metadata?.namespace ?? this.target.namespace;
    if (!name || namespace !== this.target.namespace) return;
    const source = `Secret ${namespace}/${name}`;
    try {
      if (phase === "DELETED") {
        this.loader.forget(name, source);
        return;
      }
      const encoded = secret.data?.[CONFIG_DATA_KEY];
      if (encoded === undefined) {
        this.loader.refuse(name, source, `${source}: no "${CONFIG_DATA_KEY}" in its data`);
        return;
      }
      const text = Buffer.from(encoded, "base64").toString("utf8");
      const annotated = secret.metadata?.annotations?.[CONFIG_ROUTE_ANNOTATION];
      this.loader.apply(name, text, source, annotated);
    } catch (error) {
      // Not expected (the loader refuses what it cannot load); never let it stop the watch.
      this.log.error("a Secret event could not be handled", { source, error: errorMessage(error) });
    }
  }

  private onSynced(): void {
    if (this.synced || this.stopped) return;
    this.synced = true;
    this.log.info("route configuration Secrets listed", {
      namespace: this.target.namespace,
      secrets: this.loader.originNames().length,
      routes: this.options.store.keys().length,
    });
    this.settleStart?.resolve();
    this.settleStart = undefined;
  }

  private onGaveUp(error: Error): void {
    if (this.stopped || this.failed) return;
    this.failed = true;
    this.log.error("the route configuration Secret watch gave up; routes no longer change", {
      namespace: this.target.namespace,
      error: error.message,
    });
    if (this.settleStart) {
      this.settleStart.reject(error);
      this.settleStart = undefined;
      return;
    }
    this.options.onFailure?.(error);
  }
}
