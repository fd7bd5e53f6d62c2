import type { Status } from "../../api/v1alpha1";
import type {
  ChildKind,
  ClusterClient,
  EventRecord,
  GeneratedObject,
  ParentKind,
} from "../../reconcilers/cluster-client";

/** Records what the controller writes, as the API server would hold it. */
export class RecordingClusterClient implements ClusterClient {
  readonly objects = new Map<string, GeneratedObject>();
  readonly statuses = new Map<string, Status>();
  readonly statusWrites: Array<{ kind: ParentKind; key: string; status: Status }> = [];
  readonly config = new Map<string, Map<string, string>>();
  readonly events: EventRecord[] = [];
  applyCount = 0;
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

  async childrenOf(kind: ChildKind, namespace: string, routeLabel: string): Promise<string[]> {
    return [...this.objects.values()]
      .filter(
        o =>
          o.kind === kind &&
          o.metadata.namespace === namespace &&
          o.metadata.labels?.["aigateway.envoyproxy.io/route"] === routeLabel,
      )
      .map(o => o.metadata.name);
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

  async ensureConfigStore(): Promise<void> {}

  async setConfigEntry(
    namespace: string,
    shard: string,
    key: string,
    value: string | undefined,
  ): Promise<void> {
    this.maybeFail("write config");
    const entries = this.config.get(shard) ?? new Map<string, string>();
    if (value === undefined) entries.delete(key);
    else entries.set(key, value);
    this.config.set(shard, entries);
  }

  /** Every configuration document, by data key. */
  configEntries(): Map<string, unknown> {
    const all = new Map<string, unknown>();
    for (const entries of this.config.values()) {
      for (const [key, value] of entries) all.set(key, JSON.parse(value));
    }
    return all;
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
