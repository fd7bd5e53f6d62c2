/**
 * The writes the reconcilers make, behind one small interface so the reconcile logic can be tested
 * without an API server; `ApiClusterClient` is the real one.
 */
import type { SecretObject } from "../api/external-kinds";
import { API_VERSION, Status } from "../api/v1alpha1";
import { CONFIG_LABEL, CONFIG_ROUTE_ANNOTATION } from "../contract/route-config";
import { RESOURCE_TYPES } from "../api/resource-types";
import { errorMessage } from "../lib/error-message";
import { KubeApi, KubeApiError, PATCH } from "../lib/kube-api";

/** The kinds generated in a route's namespace, owned by the route. */
export type ChildKind =
  | "HTTPRoute"
  | "HTTPRouteFilter"
  | "Backend"
  | "EnvoyExtensionPolicy"
  | "BackendTrafficPolicy";
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
  /** Deletes a generated object; one that is already gone counts as deleted. */
  deleteChild(kind: ChildKind | "Secret", namespace: string, name: string): Promise<void>;
  patchStatus(kind: ParentKind, namespace: string, name: string, status: Status): Promise<void>;
  /** Creates a namespace unless it exists. */
  ensureNamespace(name: string): Promise<void>;
  /** The routes (`namespace/name`) that have a configuration Secret with `prefix` in `namespace`. */
  configuredRoutes(namespace: string, prefix: string): Promise<string[]>;
  recordEvent(event: EventRecord): Promise<void>;
  /** Every object of one of the AI Gateway kinds, cluster-wide. */
  listAll<T>(kind: ParentKind): Promise<T[]>;
  /** A user's Secret that a policy names; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
}

/** The field manager of everything the controller applies. */
export const FIELD_MANAGER = "ai-gateway-controller";

const statusOf = (error: unknown) => (error instanceof KubeApiError ? error.status : undefined);

/** Says which write failed, keeping the API server's status, message and causes. */
function failure(what: string, error: unknown): Error {
  if (error instanceof KubeApiError) return error.during(what);
  return new Error(`${what}: ${errorMessage(error)}`);
}

async function describing<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw failure(what, error);
  }
}

/** The controller's writes through the module's pooled API connections. */
export class ApiClusterClient implements ClusterClient {
  constructor(private readonly api: () => Promise<KubeApi>) {}

  async apply(object: GeneratedObject): Promise<void> {
    const { name, namespace } = object.metadata;
    await describing(`apply ${object.kind} ${namespace}/${name}`, async () =>
      (await this.api()).call(
        "PATCH",
        { ...RESOURCE_TYPES[object.kind as ChildKind | "Secret"], namespace, name },
        {
          body: object,
          contentType: PATCH.apply,
          query: { fieldManager: FIELD_MANAGER, force: "true", fieldValidation: "Strict" },
        },
      ),
    );
  }

  async deleteChild(kind: ChildKind | "Secret", namespace: string, name: string): Promise<void> {
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

  async ensureNamespace(name: string): Promise<void> {
    await describing(`create namespace ${name}`, async () => {
      try {
        await (
          await this.api()
        ).call("POST", RESOURCE_TYPES.Namespace, {
          body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
        });
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    });
  }

  async configuredRoutes(namespace: string, prefix: string): Promise<string[]> {
    const secrets = await describing(`list the configuration Secrets in ${namespace}`, async () =>
      (await this.api()).list<{ metadata?: { annotations?: Record<string, string> } }>(
        { ...RESOURCE_TYPES.Secret, namespace },
        { labelSelector: `${CONFIG_LABEL}=${prefix}`, metadataOnly: true },
      ),
    );
    return secrets.flatMap(secret => {
      const route = secret.metadata?.annotations?.[CONFIG_ROUTE_ANNOTATION];
      return route ? [route] : [];
    });
  }

  async listAll<T>(kind: ParentKind): Promise<T[]> {
    return describing(`list ${kind}`, async () => (await this.api()).list<T>(RESOURCE_TYPES[kind]));
  }

  async readSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    return describing(`read Secret ${namespace}/${name}`, async () =>
      (await this.api()).get<SecretObject>({ ...RESOURCE_TYPES.Secret, namespace, name }),
    );
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
