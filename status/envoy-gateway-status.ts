/**
 * What Envoy Gateway reports about the objects generated for a route. "Accepted" on an
 * AIGatewayRoute must mean the data path is really wired, so these feed its verdict.
 */
import type { Verdict } from "./conditions";

interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The status shapes Envoy Gateway writes, as far as the verdict needs them. */
export interface GeneratedObjectStatuses {
  httpRoute?: {
    parents?: Array<{ parentRef?: { name?: string }; conditions?: StatusCondition[] }>;
  };
  extensionPolicy?: {
    ancestors?: Array<{ ancestorRef?: { name?: string }; conditions?: StatusCondition[] }>;
  };
  extProcBackend?: { conditions?: StatusCondition[] };
}

/** The reason while Envoy Gateway has not yet reported on the generated objects. */
export const WAITING_FOR_ENVOY_GATEWAY = "WaitingForEnvoyGateway";

const failed = (conditions: StatusCondition[] | undefined, type: string) =>
  conditions?.find(c => c.type === type && c.status === "False");

const detail = (c: StatusCondition) => `${c.reason ?? "Unknown"}: ${c.message ?? ""}`.trim();

/**
 * Why the data path is not wired yet according to Envoy Gateway, or undefined when it accepted
 * the HTTPRoute for every parent and the ext_proc policy for every ancestor.
 */
export function envoyGatewayProblem(
  routeRef: string,
  hasParents: boolean,
  statuses: GeneratedObjectStatuses,
): Verdict | undefined {
  const backendFailure = failed(statuses.extProcBackend?.conditions, "Accepted");
  if (backendFailure) {
    return {
      accepted: false,
      reason: "ExtProcBackendNotAccepted",
      message: `Envoy Gateway did not accept the ext_proc Backend of ${routeRef} (${detail(backendFailure)}); check that its Backend API is enabled (extensionApis.enableBackend: true)`,
    };
  }
  if (!hasParents) {
    return {
      accepted: false,
      reason: "NoParentGateway",
      message: `${routeRef} has no parentRefs: attach it to a Gateway to take traffic`,
    };
  }
  const parents = statuses.httpRoute?.parents ?? [];
  if (parents.length === 0) {
    return {
      accepted: false,
      reason: WAITING_FOR_ENVOY_GATEWAY,
      message: `waiting for Envoy Gateway to accept HTTPRoute ${routeRef}; if this persists, check that Envoy Gateway runs and that the parent Gateway exists`,
    };
  }
  for (const parent of parents) {
    const notAccepted = failed(parent.conditions, "Accepted");
    if (notAccepted) {
      return {
        accepted: false,
        reason: "HTTPRouteNotAccepted",
        message: `Envoy Gateway did not accept HTTPRoute ${routeRef} for Gateway "${parent.parentRef?.name ?? ""}" (${detail(notAccepted)})`,
      };
    }
    const unresolved = failed(parent.conditions, "ResolvedRefs");
    if (unresolved) {
      return {
        accepted: false,
        reason: "HTTPRouteRefsNotResolved",
        message: `Envoy Gateway could not resolve the backends of HTTPRoute ${routeRef} (${detail(unresolved)})`,
      };
    }
  }
  const ancestors = statuses.extensionPolicy?.ancestors ?? [];
  if (ancestors.length === 0) {
    return {
      accepted: false,
      reason: WAITING_FOR_ENVOY_GATEWAY,
      message: `waiting for Envoy Gateway to accept the ext_proc EnvoyExtensionPolicy of ${routeRef}`,
    };
  }
  for (const ancestor of ancestors) {
    const notAccepted = failed(ancestor.conditions, "Accepted");
    if (notAccepted) {
      return {
        accepted: false,
        reason: "ExtensionPolicyNotAccepted",
        message: `Envoy Gateway did not accept the ext_proc EnvoyExtensionPolicy of ${routeRef} (${detail(notAccepted)})`,
      };
    }
  }
  return undefined;
}
