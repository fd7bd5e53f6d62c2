/** What the builders know about the objects an AIGatewayRoute refers to, resolved beforehand. */
import type { AIGatewayRoute, AIServiceBackendSpec, Stored } from "../api/v1alpha1";
import type { BackendAuthConfig } from "../contract/credentials";
import type { BackendConfig } from "../contract/route-config";

/** Why a referenced object cannot be used; the reason becomes a status condition reason. */
export interface Problem {
  reason: string;
  message: string;
}

/** An AIServiceBackend as the route's children need it. */
export interface ResolvedBackend {
  /** `<namespace>/<name>` of the AIServiceBackend. */
  id: string;
  namespace: string;
  name: string;
  /** Absent when the AIServiceBackend does not exist. */
  spec?: AIServiceBackendSpec;
  /** The address of its Envoy Gateway Backend, when that exists. */
  endpoint?: BackendConfig["endpoint"];
  /** Resolved credentials of its BackendSecurityPolicy, if it has one. */
  auth?: BackendAuthConfig;
  /** Set when the backend cannot serve: missing objects, Secrets or keys. */
  problem?: Problem;
}

/** An AIGatewayRoute as the API server serves it: the one route type of the builders. */
export type RouteObject = Stored<AIGatewayRoute>;

/** Everything a builder needs for one route: pure data, no client. */
export interface RouteInputs {
  route: RouteObject;
  backends: ReadonlyMap<string, ResolvedBackend>;
}

/** The backend id a backendRef of `route` points at. */
export function backendIdOf(route: RouteObject, ref: { name: string; namespace?: string }): string {
  return `${ref.namespace ?? route.metadata.namespace}/${ref.name}`;
}

/** Distinct backend ids of a route, in the order they first appear. */
export function distinctBackendIds(route: RouteObject): string[] {
  const ids = route.spec.rules.flatMap(rule =>
    (rule.backendRefs ?? []).map(ref => backendIdOf(route, ref)),
  );
  return [...new Set(ids)];
}
