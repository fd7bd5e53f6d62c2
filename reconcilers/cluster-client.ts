/**
 * The writes the reconcilers make, behind one small interface so the reconcile logic can be tested
 * without an API server; `ApiClusterClient` is the real one.
 */
import { API_VERSION, Status } from "../api/v1alpha1";
import { ConfigIndex, ROUTE_ENTRY_PREFIX } from "../extproc/config";
import { CONFIG_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from "../controllers/metadata";
import { RESOURCE_TYPES } from "../controllers/resource-types";
import { KubeApi, KubeApiError, PATCH } from "../lib/kube-api";

/** The kinds a reconciler writes. */
export type ChildKind = "HTTPRoute" | "HTTPRouteFilter" | "Backend" | "EnvoyExtensionPolicy";
export type ParentKind = "AIGatewayRoute" | "AIServiceBackend" | "BackendSecurityPolicy";

export interface GeneratedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
}

/** A route document found in a configuration shard. */
export interface StoredEntry {
  shard: string;
  key: string;
  document: string;
}

export interface EventRecord {
  kind: ParentKind;
  namespace: string;
  name: string;
  uid: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface ClusterClient {
  /** Server-side apply, taking ownership of every field the object sets. */
  apply(object: GeneratedObject): Promise<void>;
  /** Deletes a generated object; one that is already gone counts as deleted. */
  deleteChild(kind: ChildKind, namespace: string, name: string): Promise<void>;
  patchStatus(kind: ParentKind, namespace: string, name: string, status: Status): Promise<void>;
  /**
   * Creates the configuration index and shard Secrets that do not exist yet, and returns the route
   * entries the shards already hold, so a restarted controller knows them.
   */
  openConfigStore(
    namespace: string,
    index: { name: string; content: ConfigIndex },
  ): Promise<StoredEntry[]>;
  /** Sets data keys of a configuration shard; a null value removes the key (absent is fine). */
  setConfigEntries(
    namespace: string,
    shard: string,
    entries: Record<string, string | null>,
  ): Promise<void>;
  recordEvent(event: EventRecord): Promise<void>;
  /** Every object of one of the AI Gateway kinds, cluster-wide. */
  listAll<T>(kind: ParentKind): Promise<T[]>;
}

/** The field manager of everything the controller applies. */
export const FIELD_MANAGER = "ai-gateway-controller";

const statusOf = (error: unknown) => (error instanceof KubeApiError ? error.status : undefined);

/** Says which write failed, keeping the API server's status, message and causes. */
function failure(what: string, error: unknown): Error {
  if (error instanceof KubeApiError) return error.during(what);
  return new Error(`${what}: ${(error as Error)?.message ?? String(error)}`);
}

async function describing<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw failure(what, error);
  }
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** The controller's writes through the module's pooled API connections. */
export class ApiClusterClient implements ClusterClient {
  constructor(private readonly api: () => Promise<KubeApi>) {}

  async apply(object: GeneratedObject): Promise<void> {
    const { name, namespace } = object.metadata;
    await describing(`apply ${object.kind} ${namespace}/${name}`, async () =>
      (await this.api()).call(
        "PATCH",
        { ...RESOURCE_TYPES[object.kind as ChildKind], namespace, name },
        {
          body: object,
          contentType: PATCH.apply,
          query: { fieldManager: FIELD_MANAGER, force: "true", fieldValidation: "Strict" },
        },
      ),
    );
  }

  async deleteChild(kind: ChildKind, namespace: string, name: string): Promise<void> {
    await describing(`delete ${kind} ${namespace}/${name}`, async () => {
      try {
        await (await this.api()).call("DELETE", { ...RESOURCE_TYPES[kind], namespace, name });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    });
  }

  async patchStatus(kind: ParentKind, namespace: string, name: string, status: Status) {
    await describing(`write the status of ${kind} ${namespace}/${name}`, async () => {
      try {
        await (
          await this.api()
        ).call(
          "PATCH",
          { ...RESOURCE_TYPES[kind], namespace, name, subresource: "status" },
          { body: { status }, contentType: PATCH.merge },
        );
      } catch (error) {
        // The object was deleted meanwhile: there is nobody left to tell.
        if (statusOf(error) !== 404) throw error;
      }
    });
  }

  async openConfigStore(
    namespace: string,
    index: { name: string; content: ConfigIndex },
  ): Promise<StoredEntry[]> {
    const api = await this.api();
    const createUnlessExists = (what: string, create: () => Promise<unknown>) =>
      describing(`create ${what}`, async () => {
        try {
          await create();
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
      });
    await createUnlessExists(`namespace ${namespace}`, () =>
      api.call("POST", RESOURCE_TYPES.Namespace, { body: { metadata: { name: namespace } } }),
    );
    const labels = { [MANAGED_BY_LABEL]: MANAGED_BY, [CONFIG_LABEL]: index.name };
    const secrets = [
      { name: index.name, data: { "index.json": base64(JSON.stringify(index.content)) } },
      ...index.content.shards.map((name, shard) => ({
        name,
        data: { "shard.json": base64(JSON.stringify({ version: index.content.version, shard })) },
      })),
    ];
    for (const { name, data } of secrets) {
      await createUnlessExists(`Secret ${namespace}/${name}`, () =>
        api.call(
          "POST",
          { ...RESOURCE_TYPES.Secret, namespace },
          {
            body: {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name, namespace, labels },
              type: "Opaque",
              data,
            },
          },
        ),
      );
    }
    const entries: StoredEntry[] = [];
    for (const shard of index.content.shards) {
      const secret = await describing(`read Secret ${namespace}/${shard}`, () =>
        api.get<{ data?: Record<string, string> }>({
          ...RESOURCE_TYPES.Secret,
          namespace,
          name: shard,
        }),
      );
      for (const [key, value] of Object.entries(secret?.data ?? {})) {
        if (key.startsWith(ROUTE_ENTRY_PREFIX))
          entries.push({ shard, key, document: Buffer.from(value, "base64").toString("utf8") });
      }
    }
    return entries;
  }

  async setConfigEntries(
    namespace: string,
    shard: string,
    entries: Record<string, string | null>,
  ): Promise<void> {
    // A JSON merge patch: null removes a key, and removing one that is not there is no error.
    const data = Object.fromEntries(
      Object.entries(entries).map(([key, value]) => [key, value === null ? null : base64(value)]),
    );
    const keys = Object.keys(entries);
    const what = keys.length === 1 ? keys[0] : `${keys.length} entries`;
    await describing(`write ${what} to Secret ${namespace}/${shard}`, async () =>
      (await this.api()).call(
        "PATCH",
        { ...RESOURCE_TYPES.Secret, namespace, name: shard },
        { body: { data }, contentType: PATCH.merge },
      ),
    );
  }

  async listAll<T>(kind: ParentKind): Promise<T[]> {
    return describing(`list ${kind}`, async () => (await this.api()).list<T>(RESOURCE_TYPES[kind]));
  }

  async recordEvent(event: EventRecord): Promise<void> {
    const now = new Date().toISOString();
    await describing(`record event on ${event.kind} ${event.namespace}/${event.name}`, async () =>
      (await this.api()).call(
        "POST",
        { ...RESOURCE_TYPES.Event, namespace: event.namespace },
        {
          body: {
            apiVersion: "v1",
            kind: "Event",
            metadata: { namespace: event.namespace, generateName: `${event.name}.` },
            involvedObject: {
              apiVersion: API_VERSION,
              kind: event.kind,
              name: event.name,
              namespace: event.namespace,
              uid: event.uid,
            },
            type: event.type,
            reason: event.reason,
            message: event.message,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
            source: { component: "ai-gateway" },
            reportingComponent: "ai-gateway",
            reportingInstance: process.env.HOSTNAME ?? "ai-gateway",
          },
        },
      ),
    );
  }
}
