/**
 * Writes route documents into the configuration shards with group commit: one patch per shard is
 * in flight at a time, and the entries that arrive meanwhile go out together in the next one. Each
 * patch makes the API server rewrite (and every watcher receive) the whole shard, so a burst of N
 * route changes costs a handful of shard writes instead of N.
 */
import type { ClusterClient } from "./cluster-client";

interface PendingEntry {
  /** The document, or null to remove the entry. */
  value: string | null;
  settled: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

export class ConfigWriter {
  private readonly pending = new Map<string, Map<string, PendingEntry>>();
  private readonly writing = new Set<string>();

  constructor(
    private readonly client: ClusterClient,
    private readonly namespace: string,
  ) {}

  /**
   * Sets (or, with null, removes) one data key of a shard. Resolves once a patch that carries this
   * value (or a later value for the same key) is stored; rejects when that patch fails.
   */
  write(shard: string, key: string, value: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      const entries = this.pending.get(shard) ?? new Map<string, PendingEntry>();
      this.pending.set(shard, entries);
      const entry = entries.get(key) ?? { value, settled: [] };
      entry.value = value;
      entry.settled.push({ resolve, reject });
      entries.set(key, entry);
      void this.flush(shard);
    });
  }

  private async flush(shard: string): Promise<void> {
    if (this.writing.has(shard)) return;
    const batch = this.pending.get(shard);
    if (!batch || batch.size === 0) return;
    this.pending.delete(shard);
    this.writing.add(shard);
    try {
      await this.client.setConfigEntries(
        this.namespace,
        shard,
        Object.fromEntries([...batch].map(([key, entry]) => [key, entry.value])),
      );
      for (const entry of batch.values()) entry.settled.forEach(s => s.resolve());
    } catch (error) {
      // Each caller's reconcile fails and is retried by the work queue with the state current then.
      for (const entry of batch.values()) entry.settled.forEach(s => s.reject(error));
    } finally {
      this.writing.delete(shard);
      void this.flush(shard);
    }
  }
}
