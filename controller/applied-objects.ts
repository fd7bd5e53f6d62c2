/** The apply-once cache: a generated object is applied only when it differs from the last apply. */
import { createHash } from "node:crypto";
import type { ClusterClient, GeneratedObject } from "./cluster-client";

/** What the cache of applied objects keeps: a digest, not a copy. */
const digestOf = (json: string) => createHash("sha256").update(json).digest("base64");

const cacheKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/**
 * A digest of the last object applied per generated object, so an unchanged one is not applied
 * again. Forget an object when it is deleted, so that it is applied again when wanted.
 */
export class AppliedObjects {
  private readonly digests = new Map<string, string>();

  constructor(private readonly client: ClusterClient) {}

  /** Applies `object` unless the same object was the last one applied. */
  async apply(object: GeneratedObject): Promise<void> {
    const { namespace, name } = object.metadata;
    const key = cacheKey(object.kind, namespace, name);
    const digest = digestOf(JSON.stringify(object));
    if (this.digests.get(key) === digest) return;
    await this.client.apply(object);
    this.digests.set(key, digest);
  }

  has(kind: string, namespace: string, name: string): boolean {
    return this.digests.has(cacheKey(kind, namespace, name));
  }

  forget(kind: string, namespace: string, name: string): void {
    this.digests.delete(cacheKey(kind, namespace, name));
  }
}
