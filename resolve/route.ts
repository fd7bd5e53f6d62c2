/** Resolves what an AIGatewayRoute refers to, from a `ClusterView`, for the pure builders. */
import type { AIServiceBackendSpec } from "../api/v1alpha1";
import type { GatewayBackendObject } from "../api/external-kinds";
import type { ClusterView } from "./cluster-view";
import { resolveCredentials } from "./credentials";
import { distinctBackendIds, Problem, ResolvedBackend, RouteInputs, RouteObject } from "./resolved";

/** The provider address in an Envoy Gateway Backend; TLS when it configures TLS or uses port 443. */
export function endpointOf(backend: GatewayBackendObject): ResolvedBackend["endpoint"] {
  const first = backend.spec?.endpoints?.[0];
  const target = first?.fqdn
    ? { hostname: first.fqdn.hostname, port: first.fqdn.port }
    : first?.ip
      ? { hostname: first.ip.address, port: first.ip.port }
      : undefined;
  if (!target) return undefined;
  return { ...target, tls: backend.spec?.tls !== undefined || target.port === 443 };
}

/** Why an AIServiceBackend's own reference does not resolve, or undefined when it does. */
export function gatewayBackendProblem(
  view: ClusterView,
  namespace: string,
  name: string,
  spec: AIServiceBackendSpec,
): Problem | undefined {
  const refNamespace = spec.backendRef.namespace ?? namespace;
  const backend = view.gatewayBackend(refNamespace, spec.backendRef.name);
  if (!backend) {
    return {
      reason: "BackendNotFound",
      message: `AIServiceBackend "${namespace}/${name}": Backend "${spec.backendRef.name}" not found in namespace "${refNamespace}"`,
    };
  }
  const rejected = backend.status?.conditions?.find(
    c => c.type === "Accepted" && c.status === "False",
  );
  if (rejected) {
    return {
      reason: "BackendNotAccepted",
      message: `AIServiceBackend "${namespace}/${name}": Envoy Gateway did not accept Backend "${refNamespace}/${spec.backendRef.name}" (${rejected.reason ?? ""}: ${rejected.message ?? ""})`,
    };
  }
  return undefined;
}

/** Everything a route needs to know about one AIServiceBackend. */
export function resolveBackend(view: ClusterView, id: string): ResolvedBackend {
  const [namespace, name] = id.split("/");
  const base = { id, namespace, name };
  const backend = view.aiServiceBackend(namespace, name);
  if (!backend) {
    return {
      ...base,
      problem: {
        reason: "BackendNotFound",
        message: `AIServiceBackend "${name}" not found in namespace "${namespace}"`,
      },
    };
  }
  const spec = backend.spec;
  const gatewayBackend = view.gatewayBackend(
    spec.backendRef.namespace ?? namespace,
    spec.backendRef.name,
  );
  const resolved: ResolvedBackend = {
    ...base,
    spec,
    ...(gatewayBackend ? { endpoint: endpointOf(gatewayBackend) } : {}),
  };
  const problem = gatewayBackendProblem(view, namespace, name, spec);
  if (problem) return { ...resolved, problem };

  const policies = view.policiesTargeting(namespace, name);
  if (policies.length > 1) {
    const names = policies.map(p => `"${p.metadata?.name}"`).join(", ");
    return {
      ...resolved,
      problem: {
        reason: "ConflictingPolicies",
        message: `AIServiceBackend "${namespace}/${name}" is targeted by ${policies.length} BackendSecurityPolicies (${names}): keep one`,
      },
    };
  }
  if (policies.length === 0) return resolved;
  const credentials = resolveCredentials(view, namespace, policies[0].spec);
  if ("problem" in credentials) {
    return {
      ...resolved,
      problem: {
        reason: credentials.problem.reason,
        message: `AIServiceBackend "${namespace}/${name}": BackendSecurityPolicy "${policies[0].metadata?.name}": ${credentials.problem.message}`,
      },
    };
  }
  return { ...resolved, auth: credentials.auth };
}

/** The inputs of the builders for `route`. */
export function resolveRoute(view: ClusterView, route: RouteObject): RouteInputs {
  return {
    route,
    backends: new Map(distinctBackendIds(route).map(id => [id, resolveBackend(view, id)])),
  };
}
