/**
 * The objects the reconcilers read, kept current by watches, with the reverse references that
 * decide what to reconcile again when something changes. One instance per controller; `reset()`
 * clears it (tests, resync).
 */
import type {
  EnvoyExtensionPolicyObject,
  GatewayBackendObject,
  HTTPRouteObject,
  SecretObject,
} from "../api/external-kinds";
import type {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  ObjectMeta,
  Stored,
} from "../api/v1alpha1";
import type { ClusterView } from "../resolve/cluster-view";
import type { SecretCache, SecretRef } from "./secret-cache";
import { backendIdOf, distinctBackendIds, RouteObject } from "../resolve/resolved";
import { secretUses } from "../api/v1alpha1/backend-security-policy.validate";
import { ROUTE_LABEL } from "../builders/metadata";
import type { ChildKind } from "./cluster-client";

export const keyOf = (object: { metadata?: ObjectMeta }) =>
  `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

/** A generated object, as far as tracking it goes. */
export interface ChildObject {
  metadata?: ObjectMeta;
  status?: object;
}

/** One generated object of a route, as the watches report it. */
export interface ChildRef {
  kind: ChildKind;
  name: string;
}

export class ClusterState implements ClusterView {
  /** The Secrets policies name, read on demand: see `secretsOfPolicies`. */
  constructor(readonly secrets: SecretCache) {}

  readonly routes = new Map<string, Stored<AIGatewayRoute>>();
  readonly backends = new Map<string, AIServiceBackend>();
  readonly policies = new Map<string, BackendSecurityPolicy>();
  readonly gatewayBackends = new Map<string, GatewayBackendObject>();
  readonly httpRoutes = new Map<string, HTTPRouteObject>();
  readonly extensionPolicies = new Map<string, EnvoyExtensionPolicyObject>();
  /** backend id → keys of the routes that use it. */
  private readonly routesByBackend = new Map<string, Set<string>>();
  /** `namespace/route label` → `Kind/name` of the generated objects labelled for that route. */
  private readonly childrenByRoute = new Map<string, Set<string>>();

  reset(): void {
    this.secrets.clear();
    for (const map of [
      this.routes,
      this.backends,
      this.policies,
      this.gatewayBackends,
      this.httpRoutes,
      this.extensionPolicies,
      this.routesByBackend,
      this.childrenByRoute,
    ]) {
      map.clear();
    }
  }

  setRoute(route: RouteObject): void {
    this.removeRoute(keyOf(route));
    const key = keyOf(route);
    this.routes.set(key, route);
    for (const id of distinctBackendIds(route)) {
      if (!this.routesByBackend.has(id)) this.routesByBackend.set(id, new Set());
      this.routesByBackend.get(id)!.add(key);
    }
  }

  removeRoute(key: string): void {
    const previous = this.routes.get(key);
    if (!previous) return;
    for (const id of distinctBackendIds(previous)) this.routesByBackend.get(id)?.delete(key);
    this.routes.delete(key);
  }

  /** Records that a generated object exists (or no longer does), by its route label. */
  trackChild(kind: ChildKind, child: ChildObject, exists: boolean): void {
    const routeLabel = child.metadata?.labels?.[ROUTE_LABEL];
    if (!routeLabel) return;
    const key = `${child.metadata?.namespace ?? ""}/${routeLabel}`;
    const ref = `${kind}/${child.metadata?.name ?? ""}`;
    if (exists) {
      if (!this.childrenByRoute.has(key)) this.childrenByRoute.set(key, new Set());
      this.childrenByRoute.get(key)!.add(ref);
      return;
    }
    const children = this.childrenByRoute.get(key);
    children?.delete(ref);
    if (children?.size === 0) this.childrenByRoute.delete(key);
  }

  /** The generated objects labelled for the route with label value `routeLabel`. */
  childrenOf(namespace: string, routeLabel: string): ChildRef[] {
    return [...(this.childrenByRoute.get(`${namespace}/${routeLabel}`) ?? [])].map(ref => {
      const slash = ref.indexOf("/");
      return { kind: ref.slice(0, slash) as ChildKind, name: ref.slice(slash + 1) };
    });
  }

  // ClusterView
  aiServiceBackend(namespace: string, name: string) {
    return this.backends.get(`${namespace}/${name}`);
  }
  gatewayBackend(namespace: string, name: string) {
    return this.gatewayBackends.get(`${namespace}/${name}`);
  }
  secret(namespace: string, name: string): SecretObject | undefined {
    return this.secrets.get(namespace, name);
  }
  policiesTargeting(namespace: string, name: string): BackendSecurityPolicy[] {
    return [...this.policies.values()].filter(
      p =>
        p.metadata?.namespace === namespace && (p.spec.targetRefs ?? []).some(t => t.name === name),
    );
  }

  /** Keys of the routes that use the AIServiceBackend `id` (`namespace/name`). */
  routesUsing(id: string): string[] {
    return [...(this.routesByBackend.get(id) ?? [])];
  }

  /** The Secrets `policies` read (each in its policy's namespace). */
  secretsOfPolicies(policies: readonly BackendSecurityPolicy[]): SecretRef[] {
    return policies.flatMap(policy =>
      secretUses(policy.spec).map(use => ({
        namespace: policy.metadata?.namespace ?? "",
        name: use.ref.name,
      })),
    );
  }

  /** The Secrets a route's backends' policies read. */
  secretsOfRoute(route: RouteObject): SecretRef[] {
    return this.secretsOfPolicies(
      distinctBackendIds(route).flatMap(id => {
        const [namespace, name] = id.split("/");
        return this.policiesTargeting(namespace, name);
      }),
    );
  }

  /** Keys of the AIServiceBackends a policy targets. */
  backendsTargetedBy(policy: BackendSecurityPolicy): string[] {
    const namespace = policy.metadata?.namespace ?? "";
    return (policy.spec.targetRefs ?? []).map(t => `${namespace}/${t.name}`);
  }

  /** Keys of the policies that read the Secret `namespace/name`. */
  policiesUsingSecret(namespace: string, name: string): string[] {
    return [...this.policies.entries()]
      .filter(
        ([, p]) =>
          p.metadata?.namespace === namespace && secretUses(p.spec).some(u => u.ref.name === name),
      )
      .map(([key]) => key);
  }

  /** Keys of the AIServiceBackends that point at the Envoy Gateway Backend `namespace/name`. */
  backendsUsingGatewayBackend(namespace: string, name: string): string[] {
    return [...this.backends.entries()]
      .filter(
        ([, b]) =>
          (b.spec.backendRef.namespace ?? b.metadata?.namespace) === namespace &&
          b.spec.backendRef.name === name,
      )
      .map(([key]) => key);
  }

  /** The backend id a route's reference points at. */
  static backendId(route: RouteObject, ref: { name: string; namespace?: string }): string {
    return backendIdOf(route, ref);
  }
}
