/**
 * A list-then-watch of one resource type's metadata (names, labels, resourceVersions; never the
 * data), that keeps going: it relists when the API server says its resourceVersion is too old
 * (410), and reconnects after a failure with a growing delay. Nothing of the objects is kept here.
 */
import { errorMessage } from "./error-message";
import type { KubeApi, ResourcePath, WatchEventLine } from "./kube-api";

export type MetadataPhase = "ADDED" | "MODIFIED" | "DELETED";

export interface ObjectMetadata {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export interface MetadataWatchOptions {
  labelSelector?: string;
  /** Called for every object of the first list and of every relist, and for each change. */
  onEvent(object: ObjectMetadata, phase: MetadataPhase): void;
  /** A failure it recovers from by itself (logged by the caller). */
  onRetry?(error: string, attempt: number): void;
  /** How long the server keeps one watch open before the next one. Default 300 s. */
  timeoutSeconds?: number;
  /** The longest wait between attempts after failures. Default 30 s. */
  maxDelayMs?: number;
}

export class MetadataWatch {
  private readonly stopping = new AbortController();
  private resourceVersion = "";
  private running?: Promise<void>;

  constructor(
    private readonly api: () => Promise<KubeApi>,
    private readonly path: ResourcePath,
    private readonly options: MetadataWatchOptions,
  ) {}

  /** Lists, then keeps watching in the background. Resolves after the first list. */
  async start(): Promise<void> {
    await this.list();
    this.running = this.watchForever();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async list(): Promise<void> {
    const { items, resourceVersion } = await (
      await this.api()
    ).listMetadata<ObjectMetadata>(this.path, {
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
    });
    for (const item of items) this.options.onEvent(item, "ADDED");
    this.resourceVersion = resourceVersion;
  }

  private async watchForever(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        await (
          await this.api()
        ).watchMetadata<ObjectMetadata & { code?: number; message?: string }>(
          this.path,
          {
            resourceVersion: this.resourceVersion,
            timeoutSeconds: this.options.timeoutSeconds ?? 300,
            ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
          },
          event => this.onLine(event),
          this.stopping.signal,
        );
        failures = 0;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        failures++;
        this.options.onRetry?.(errorMessage(error), failures);
        const delay = Math.min(this.options.maxDelayMs ?? 30_000, 250 * 2 ** failures);
        await new Promise(resolve => setTimeout(resolve, delay).unref());
        if (error instanceof Gone) await this.list().catch(() => undefined);
      }
    }
  }

  private onLine(
    event: WatchEventLine<ObjectMetadata & { code?: number; message?: string }>,
  ): void {
    if (event.type === "ERROR") {
      // 410: the watch cache no longer has our resourceVersion; only a fresh list can go on.
      throw event.object.code === 410
        ? new Gone()
        : new Error(event.object.message ?? "watch error");
    }
    const version = event.object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type !== "BOOKMARK") this.options.onEvent(event.object, event.type);
  }
}

class Gone extends Error {
  constructor() {
    super("the watch's resourceVersion is too old: relisting");
  }
}
