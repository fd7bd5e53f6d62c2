import type { SecretObject } from "../../api/external-kinds";
import type { Status } from "../../api/v1alpha1";
import type {
  ChildKind,
  ClusterClient,
  EventRecord,
  GeneratedObject,
  ParentKind,
} from "../../controller/cluster-client";

/** Records what the controller writes, as the API server would hold it. */
export class RecordingClusterClient implements ClusterClient {
  readonly objects = new Map<string, GeneratedObject>();
  readonly statuses = new Map<string, Status>();
  readonly statusWrites: Array<{ kind: ParentKind; key: string; status: Status }> = [];
  readonly events: EventRecord[] = [];
  applyCount = 0;
  /** The kind of every object applied, in order. */
  readonly applies: string[] = [];
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
    this.applies.push(object.kind);
    this.objects.set(
      `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
      structuredClone(object),
    );
  }

  async deleteChild(kind: ChildKind | "Secret", namespace: string, name: string): Promise<void> {
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

  async ensureNamespace(): Promise<void> {}

  /** The users' Secrets "in the cluster", by `namespace/name`. */
  readonly secrets = new Map<string, SecretObject>();
  /** Every Secret read (`namespace/name`), in order. */
  readonly secretReads: string[] = [];

  async readSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    this.secretReads.push(`${namespace}/${name}`);
    return structuredClone(this.secrets.get(`${namespace}/${name}`));
  }

  async configuredRoutes(namespace: string, prefix: string): Promise<string[]> {
    return [...this.objects.values()]
      .filter(
        o =>
          o.kind === "Secret" &&
          o.metadata.namespace === namespace &&
          o.metadata.labels?.["aigateway.envoyproxy.io/config"] === prefix,
      )
      .map(
        o =>
          (o.metadata as { annotations?: Record<string, string> }).annotations![
            "aigateway.envoyproxy.io/route"
          ],
      );
  }

  /** Every route's configuration document, by route (`namespace/name`). */
  configEntries(): Map<string, unknown> {
    const all = new Map<string, unknown>();
    for (const object of this.objects.values()) {
      if (object.kind !== "Secret") continue;
      const { annotations } = object.metadata as { annotations?: Record<string, string> };
      const { data } = object as unknown as { data: Record<string, string> };
      all.set(
        annotations!["aigateway.envoyproxy.io/route"],
        JSON.parse(Buffer.from(data["route.json"], "base64").toString("utf8")),
      );
    }
    return all;
  }

  /** How many times a configuration Secret was written. */
  get configWrites(): number {
    return this.applies.filter(kind => kind === "Secret").length;
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
