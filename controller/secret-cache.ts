/**
 * The Secrets that BackendSecurityPolicies name, read from the API server when a reconcile needs
 * them and kept until a watch event says they changed. The controller never holds the other
 * Secrets of the cluster: its Secret watch sees metadata only.
 */
import type { SecretObject } from "../api/external-kinds";

export interface SecretRef {
  namespace: string;
  name: string;
}

const keyOf = ({ namespace, name }: SecretRef) => `${namespace}/${name}`;

export class SecretCache {
  /** A Secret read, or null when it was not there. */
  private readonly entries = new Map<string, SecretObject | null>();
  /** Bumped by `forget`, so a read that started before it never stores what it read. */
  private readonly versions = new Map<string, number>();
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly read: (namespace: string, name: string) => Promise<SecretObject | undefined>,
  ) {}

  /** The Secret as last read; undefined when it does not exist or has not been read. */
  get(namespace: string, name: string): SecretObject | undefined {
    return this.entries.get(keyOf({ namespace, name })) ?? undefined;
  }

  /**
   * Reads the Secrets of `refs` that are not known yet, in parallel; a Secret another reconcile is
   * reading already is read once.
   */
  async load(refs: readonly SecretRef[]): Promise<void> {
    await Promise.all(
      [...new Map(refs.map(ref => [keyOf(ref), ref])).entries()]
        .filter(([key]) => !this.entries.has(key))
        .map(([key, ref]) => {
          let reading = this.reading.get(key);
          if (!reading) {
            reading = this.readInto(key, ref).finally(() => this.reading.delete(key));
            this.reading.set(key, reading);
          }
          return reading;
        }),
    );
  }

  private async readInto(key: string, ref: SecretRef): Promise<void> {
    const version = this.versions.get(key) ?? 0;
    const secret = await this.read(ref.namespace, ref.name);
    if ((this.versions.get(key) ?? 0) === version) this.entries.set(key, secret ?? null);
  }

  /** The Secret changed or went: the next reconcile that needs it reads it again. */
  forget(namespace: string, name: string): void {
    const key = keyOf({ namespace, name });
    this.entries.delete(key);
    this.reading.delete(key);
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
  }

  /** Forgets every Secret (a resync reads them all again, in case an event was lost). */
  clear(): void {
    for (const key of [...this.entries.keys()]) {
      const [namespace, name] = key.split("/");
      this.forget(namespace, name);
    }
  }

  /** How many Secrets are held. */
  get size(): number {
    return this.entries.size;
  }
}
