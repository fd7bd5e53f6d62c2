/**
 * The writes the reconcilers make, behind one small interface so the reconcile logic can be tested
 * without an API server; `KfcClusterClient` is the real one.
 */
import { K8s, kind } from "pepr";
import { API_VERSION, Status } from "../api/v1alpha1";
import {
  AIGatewayRoute,
  AIServiceBackend,
  Backend,
  BackendSecurityPolicy,
  EnvoyExtensionPolicy,
  HTTPRoute,
  HTTPRouteFilter,
} from "../capabilities/kinds";
import { ConfigIndex } from "../extproc/config";
import { CONFIG_LABEL, MANAGED_BY, MANAGED_BY_LABEL, ROUTE_LABEL } from "../controllers/metadata";

/** The kinds a reconciler writes. */
export type ChildKind = "HTTPRoute" | "HTTPRouteFilter" | "Backend" | "EnvoyExtensionPolicy";
export type ParentKind = "AIGatewayRoute" | "AIServiceBackend" | "BackendSecurityPolicy";

export interface GeneratedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
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
  /** Names of the children of kind `kind` labelled as generated for the route `routeLabel`. */
  childrenOf(kind: ChildKind, namespace: string, routeLabel: string): Promise<string[]>;
  deleteChild(kind: ChildKind, namespace: string, name: string): Promise<void>;
  patchStatus(kind: ParentKind, namespace: string, name: string, status: Status): Promise<void>;
  /** Creates the configuration index and shard Secrets that do not exist yet. */
  ensureConfigStore(
    namespace: string,
    index: { name: string; content: ConfigIndex },
  ): Promise<void>;
  /** Sets (or, with `undefined`, removes) one data key of a configuration shard. */
  setConfigEntry(
    namespace: string,
    shard: string,
    key: string,
    value: string | undefined,
  ): Promise<void>;
  recordEvent(event: EventRecord): Promise<void>;
}

const CHILD_MODELS = { HTTPRoute, HTTPRouteFilter, Backend, EnvoyExtensionPolicy } as const;
const PARENT_MODELS = { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } as const;

/** kfc rejects with the HTTP response, not an Error: turn it into one that says what failed. */
function failure(what: string, error: unknown): Error {
  const response = error as { status?: number; data?: { message?: string } };
  const detail = response?.data?.message ?? (error as Error)?.message ?? String(error);
  return new Error(`${what}: ${response?.status ?? ""} ${detail}`.replace(/\s+/g, " ").trim());
}

const statusOf = (error: unknown) => (error as { status?: number })?.status;

export class KfcClusterClient implements ClusterClient {
  async apply(object: GeneratedObject): Promise<void> {
    const model = CHILD_MODELS[object.kind as ChildKind];
    await K8s(model)
      .Apply(object as never, { force: true })
      .catch(error => {
        throw failure(
          `apply ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`,
          error,
        );
      });
  }

  async childrenOf(kindName: ChildKind, namespace: string, routeLabel: string): Promise<string[]> {
    const list = await K8s(CHILD_MODELS[kindName])
      .InNamespace(namespace)
      .WithLabel(MANAGED_BY_LABEL, MANAGED_BY)
      .WithLabel(ROUTE_LABEL, routeLabel)
      .Get()
      .catch(error => {
        throw failure(`list ${kindName} in ${namespace}`, error);
      });
    return list.items.map(item => item.metadata?.name ?? "");
  }

  async deleteChild(kindName: ChildKind, namespace: string, name: string): Promise<void> {
    await K8s(CHILD_MODELS[kindName])
      .InNamespace(namespace)
      .Delete(name)
      .catch(error => {
        throw failure(`delete ${kindName} ${namespace}/${name}`, error);
      });
  }

  async patchStatus(
    kindName: ParentKind,
    namespace: string,
    name: string,
    status: Status,
  ): Promise<void> {
    await K8s(PARENT_MODELS[kindName])
      .PatchStatus({ metadata: { name, namespace }, status } as never)
      .catch(error => {
        // The object was deleted meanwhile: there is nobody left to tell.
        if (statusOf(error) === 404) return;
        throw failure(`write the status of ${kindName} ${namespace}/${name}`, error);
      });
  }

  async ensureConfigStore(
    namespace: string,
    index: { name: string; content: ConfigIndex },
  ): Promise<void> {
    await K8s(kind.Namespace)
      .Create({ metadata: { name: namespace } })
      .catch(error => {
        if (statusOf(error) !== 409) throw failure(`create namespace ${namespace}`, error);
      });
    const secrets = [
      {
        name: index.name,
        data: { "index.json": Buffer.from(JSON.stringify(index.content)).toString("base64") },
      },
      // Each shard carries a key of its own from the start: route entries are added with JSON Patch,
      // which cannot add under a `data` that an empty Secret does not have.
      ...index.content.shards.map((name, shard) => ({
        name,
        data: { "shard.json": Buffer.from(JSON.stringify({ version: index.content.version, shard })).toString("base64") },
      })),
    ];
    for (const { name, data } of secrets) {
      await K8s(kind.Secret)
        .Create({
          metadata: {
            name,
            namespace,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [CONFIG_LABEL]: index.name },
          },
          type: "Opaque",
          data,
        })
        .catch(error => {
          if (statusOf(error) !== 409) throw failure(`create Secret ${namespace}/${name}`, error);
        });
    }
  }

  async setConfigEntry(
    namespace: string,
    shard: string,
    key: string,
    value: string | undefined,
  ): Promise<void> {
    const path = `/data/${key}`;
    const operations =
      value === undefined
        ? [{ op: "remove" as const, path }]
        : [{ op: "add" as const, path, value: Buffer.from(value).toString("base64") }];
    await K8s(kind.Secret, { name: shard, namespace })
      .Patch(operations)
      .catch(error => {
        // Removing a key that is not there leaves the shard as wanted.
        if (value === undefined && statusOf(error) === 422) return;
        throw failure(`write ${key} to Secret ${namespace}/${shard}`, error);
      });
  }

  async recordEvent(event: EventRecord): Promise<void> {
    const now = new Date().toISOString();
    await K8s(kind.CoreEvent)
      .Create({
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
        firstTimestamp: now as never,
        lastTimestamp: now as never,
        count: 1,
        source: { component: "ai-gateway" },
        reportingComponent: "ai-gateway",
        reportingInstance: process.env.HOSTNAME ?? "ai-gateway",
      })
      .catch(error => {
        throw failure(`record event on ${event.kind} ${event.namespace}/${event.name}`, error);
      });
  }
}
