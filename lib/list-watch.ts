/**
 * A list-then-watch of one resource type, full objects or metadata only (names, labels,
 * resourceVersions; never data, spec or status), that keeps going: it relists when the API server
 * says its resourceVersion is too old (410), and reconnects after a failure with a growing delay.
 *
 * Only the names and resourceVersions of the objects it has reported are kept, so a relist can
 * report what was deleted while the watch could not see it (the API server's list does not say),
 * and skip what has not changed since.
 */
import { errorMessage } from "./error-message";
import {
  isResourceVersionTooLarge,
  KubeApiError,
  statusError,
  type KubeApi,
  type KubeStatus,
  type ResourcePath,
  type WatchEventLine,
} from "./kube-api";

export type WatchPhase = "ADDED" | "MODIFIED" | "DELETED";

/** The part of every object the watch reads. */
export interface ObjectMetadata {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export interface ListWatchOptions<T extends ObjectMetadata> {
  /** "metadata" asks the API server for PartialObjectMetadata: no data, spec or status. */
  mode: "objects" | "metadata";
  labelSelector?: string;
  /**
   * Called for every object of the first list, for each change, and for what a relist finds
   * changed: ADDED when new, MODIFIED when its resourceVersion moved on, DELETED for a known object
   * the relist no longer has.
   */
  onEvent(object: T, phase: WatchPhase): void;
  /** Every object of a complete list has been delivered: after the first list and each relist. */
  onSynced?(): void;
  /** A failure it recovers from by itself (logged by the caller). */
  onRetry?(error: string, attempt: number): void;
  /**
   * After this many failures in a row, stop and call `onGaveUp` (so the process can restart
   * fresh). Unset: retry forever.
   */
  maxFailures?: number;
  onGaveUp?(error: Error): void;
  /** How long the server keeps one watch open before the next one. Default 300 s. */
  timeoutSeconds?: number;
  /** The longest wait between attempts after failures. Default 30 s. */
  maxDelayMs?: number;
}

export class ListWatch<T extends ObjectMetadata> {
  private readonly stopping = new AbortController();
  private resourceVersion = "";
  /** namespace/name → the metadata last reported: what a relist compares with. */
  private readonly known = new Map<string, T>();
  private running?: Promise<void>;

  constructor(
    private readonly api: () => Promise<KubeApi>,
    private readonly path: ResourcePath,
    private readonly options: ListWatchOptions<T>,
  ) {}

  /**
   * Lists (retrying failures as the watch does), then keeps watching in the background. Resolves
   * after the first complete list; rejects if it gives up (or is stopped) before that.
   */
  async start(): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        await this.list();
        break;
      } catch (error) {
        failures++;
        await this.afterFailure(error, failures);
      }
    }
    this.running = this.watchForever();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async list(): Promise<void> {
    const { items, resourceVersion } = await (
      await this.api()
    ).listVersioned<T>(this.path, {
      signal: this.stopping.signal,
      metadataOnly: this.options.mode === "metadata",
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
    });
    if (this.stopping.signal.aborted) throw new Stopped();
    const listed = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      listed.add(key);
      const last = this.known.get(key);
      // Unchanged since it was last reported: a relist after a blip must not have every consumer
      // redo its work for every object.
      const version = item.metadata?.resourceVersion;
      if (last && version && last.metadata?.resourceVersion === version) continue;
      this.known.set(key, metadataOnly(item));
      this.options.onEvent(item, last ? "MODIFIED" : "ADDED");
    }
    for (const [key, last] of this.known) {
      if (listed.has(key)) continue;
      this.known.delete(key);
      this.options.onEvent(last, "DELETED");
    }
    this.resourceVersion = resourceVersion;
    this.options.onSynced?.();
  }

  private async watchForever(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      /** When the API server accepted the watch. */
      let openedAt: number | undefined;
      let lines = 0;
      /** Whether the watch, once accepted, said something or stayed open a while. */
      const worked = () =>
        lines > 0 || (openedAt !== undefined && Date.now() - openedAt >= MIN_QUIET_WATCH_MS);
      try {
        await (
          await this.api()
        ).watch<T & KubeStatus>(
          this.path,
          {
            metadataOnly: this.options.mode === "metadata",
            resourceVersion: this.resourceVersion,
            timeoutSeconds: this.options.timeoutSeconds ?? 300,
            ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
            onOpen: () => (openedAt = Date.now()),
          },
          event => {
            lines++;
            this.onLine(event);
          },
          this.stopping.signal,
        );
        // The API server ends a watch at its timeout. One that ends at once, with nothing said,
        // is refused in all but name: counted, so that it backs off rather than spins.
        if (worked()) {
          failures = 0;
          continue;
        }
        throw new Error("the API server ended the watch at once, without an event");
      } catch (watchError) {
        if (this.stopping.signal.aborted) return;
        // A watch that worked until it dropped (a proxy's idle timeout, a restart): failures count
        // again from here. One refused (RBAC without the watch verb, an error event, dropped at
        // once) keeps counting, even while lists succeed, until the watch gives up. A watch cache
        // behind the list's resourceVersion catches up: it is waited for, not given up on.
        const dropped = worked() && !(watchError instanceof KubeApiError);
        if (dropped || isResourceVersionTooLarge(watchError)) failures = 0;
        let error = watchError;
        if (error instanceof Gone) {
          // Expected now and then (the watch cache moved on): relist at once, not a failure.
          try {
            await this.list();
            failures = 0;
            continue;
          } catch (listError) {
            error = listError;
          }
        }
        failures++;
        try {
          await this.afterFailure(error, failures);
        } catch {
          return;
        }
        // After a failure the resourceVersion may be gone too; a relist is cheap and complete.
        // One that fails is counted by the watch that follows it.
        await this.list().catch(() => undefined);
      }
    }
  }

  /** Reports a failure and waits before the next attempt; throws when it gives up or stops. */
  private async afterFailure(error: unknown, failures: number): Promise<void> {
    if (this.stopping.signal.aborted || error instanceof Stopped) throw new Stopped();
    const { maxFailures } = this.options;
    if (maxFailures !== undefined && failures >= maxFailures) {
      const cause = new Error(
        `the watch failed ${failures} times in a row: ${errorMessage(error)}`,
      );
      this.stopping.abort();
      this.options.onGaveUp?.(cause);
      throw cause;
    }
    this.options.onRetry?.(errorMessage(error), failures);
    const delay = Math.min(this.options.maxDelayMs ?? 30_000, 250 * 2 ** failures);
    await new Promise<void>(resolve => {
      const onStop = () => {
        clearTimeout(timer);
        resolve();
      };
      // One listener per wait, removed when the wait ends: a watch that keeps failing must not
      // pile them up on the signal.
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener("abort", onStop);
        resolve();
      }, delay);
      timer.unref();
      this.stopping.signal.addEventListener("abort", onStop, { once: true });
    });
    if (this.stopping.signal.aborted) throw new Stopped();
  }

  private onLine(event: WatchEventLine<T & KubeStatus>): void {
    if (event.type === "ERROR") {
      // 410: the watch cache no longer has our resourceVersion; only a fresh list can go on.
      throw event.object.code === 410
        ? new Gone()
        : statusError(event.object.code ?? 500, event.object, "watch error");
    }
    const version = event.object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === "BOOKMARK") return;
    const key = keyOf(event.object);
    if (event.type === "DELETED") this.known.delete(key);
    else this.known.set(key, metadataOnly(event.object));
    this.options.onEvent(event.object, event.type);
  }
}

const keyOf = (object: ObjectMetadata) =>
  `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

/** What a DELETED event found by a relist carries: the object's identity, never its data. */
function metadataOnly<T extends ObjectMetadata>(object: T): T {
  const { name, namespace, resourceVersion, labels } = object.metadata ?? {};
  // T is the caller's object type, of which only `metadata` is known here; a DELETED event's
  // consumers read the identity alone (documented on `onEvent`).
  const identity: ObjectMetadata = { metadata: { name, namespace, resourceVersion, labels } };
  return identity as T;
}

/** A watch with no event for this long before its end is not counted as refused. */
const MIN_QUIET_WATCH_MS = 1_000;

class Gone extends Error {
  constructor() {
    super("the watch's resourceVersion is too old: relisting");
  }
}

class Stopped extends Error {
  constructor() {
    super("the watch was stopped");
  }
}
