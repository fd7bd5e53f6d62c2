import type { Status } from "../../api/v1alpha1";
import type {
  ChildKind,
  ClusterClient,
  EventRecord,
  GeneratedObject,
  ParentKind,
  StoredEntry,
} from "../../reconcilers/cluster-client";

/** Records what the controller writes, as the API server would hold it. */
export class RecordingClusterClient implements ClusterClient {
  readonly objects = new Map<string, GeneratedObject>();
  readonly statuses = new Map<string, Status>();
  readonly statusWrites: Array<{ kind: ParentKind; key: string; status: Status }> = [];
  readonly config = new Map<string, Map<string, string>>();
  readonly events: EventRecord[] = [];
  applyCount = 0;
  configWrites = 0;
  /** Makes the next N writes fail, like an API server that is briefly unavailable. */
  failNext = 0;

  private maybeFail(what: string): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error(`${what}: 503 the server is currently unable to handle the request`);
    }
  }

  async apply(object: GeneratedObject): Promise<void> {
    this.maybeFail("apply");
    this.applyCount++;
    this.objects.set(
      `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
      structuredClone(object),
    );
  }

  async deleteChild(kind: ChildKind, namespace: string, name: string): Promise<void> {
    this.objects.delete(`${kind}/${namespace}/${name}`);
  }

  async patchStatus(
    kind: ParentKind,
    namespace: string,
    name: string,
    status: Status,
  ): Promise<void> {
    this.maybeFail("patch status");
    const key = `${kind}/${namespace}/${name}`;
    this.statuses.set(key, structuredClone(status));
    this.statusWrites.push({ kind, key, status: structuredClone(status) });
  }

  async openConfigStore(): Promise<StoredEntry[]> {
    return [...this.config].flatMap(([shard, entries]) =>
      [...entries].map(([key, document]) => ({ shard, key, document })),
    );
  }

  async setConfigEntries(
    _namespace: string,
    shard: string,
    entries: Record<string, string | null>,
  ): Promise<void> {
    this.maybeFail("write config");
    this.configWrites++;
    const stored = this.config.get(shard) ?? new Map<string, string>();
    for (const [key, value] of Object.entries(entries)) {
      if (value === null) stored.delete(key);
      else stored.set(key, value);
    }
    this.config.set(shard, stored);
  }

  /** Every configuration document, by data key. */
  configEntries(): Map<string, unknown> {
    const all = new Map<string, unknown>();
    for (const entries of this.config.values()) {
      for (const [key, value] of entries) all.set(key, JSON.parse(value));
    }
    return all;
  }

  /** The AI Gateway objects "in the API server", for a controller's start to list. */
  readonly parents: Record<ParentKind, unknown[]> = {
    AIGatewayRoute: [],
    AIServiceBackend: [],
    BackendSecurityPolicy: [],
  };

  async listAll<T>(kind: ParentKind): Promise<T[]> {
    return structuredClone(this.parents[kind]) as T[];
  }

  async recordEvent(event: EventRecord): Promise<void> {
    this.events.push(event);
  }

  acceptedOf(kind: ParentKind, namespace: string, name: string) {
    return this.statuses
      .get(`${kind}/${namespace}/${name}`)
      ?.conditions?.find(c => c.type === "Accepted");
  }
}
