/**
 * What Envoy Gateway reports about the objects generated for a route. "Accepted" on an
 * AIGatewayRoute must mean the data path is really wired, so these feed its verdict.
 */
import type {
  EnvoyExtensionPolicyStatus,
  GatewayBackendObject,
  HTTPRouteStatus,
  StatusCondition,
} from "../api/external-kinds";
import type { Verdict } from "./conditions";

/** The status shapes Envoy Gateway writes, as far as the verdict needs them. */
export interface GeneratedObjectStatuses {
  httpRoute?: HTTPRouteStatus;
  extensionPolicy?: EnvoyExtensionPolicyStatus;
  extProcBackend?: GatewayBackendObject["status"];
}

/** The reason while Envoy Gateway has not yet reported on the generated objects. */
export const WAITING_FOR_ENVOY_GATEWAY = "WaitingForEnvoyGateway";

const failed = (conditions: StatusCondition[] | undefined, type: string) =>
  conditions?.find(c => c.type === type && c.status === "False");

/**
 * The ext_proc Backend's refusal, if Envoy Gateway's latest verdict on it is one. Envoy Gateway
 * v1.9 writes a refused Backend's condition with its type and reason swapped (`type: Invalid`,
 * `reason: Accepted`, `status: "False"`), and never removes a condition of another type: a Backend
 * refused after it was accepted keeps its `Accepted: "True"` of the older generation, and one
 * accepted again keeps the `Invalid`. So the verdict is the condition of the newest generation, a
 * refusal when two are of the same one.
 */
function backendRefusal(conditions: StatusCondition[] | undefined): StatusCondition | undefined {
  const verdicts = (conditions ?? []).filter(
    c => c.type === "Accepted" || (c.type === "Invalid" && c.status === "False"),
  );
  const refused = (c: StatusCondition) => c.type === "Invalid" || c.status === "False";
  const latest = verdicts.reduce<StatusCondition | undefined>((newest, c) => {
    if (!newest) return c;
    const [a, b] = [c.observedGeneration ?? 0, newest.observedGeneration ?? 0];
    return a > b || (a === b && refused(c)) ? c : newest;
  }, undefined);
  if (!latest || !refused(latest)) return undefined;
  return latest.type === "Invalid"
    ? { type: "Accepted", status: "False", reason: "Invalid", message: latest.message }
    : latest;
}

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
  const backendFailure = backendRefusal(statuses.extProcBackend?.conditions);
  if (backendFailure) {
    return {
      accepted: false,
      reason: "ExtProcBackendNotAccepted",
      message: `Envoy Gateway did not accept the ext_proc Backend of ${routeRef} (${detail(backendFailure)}); it points at the ext_proc server's address (AIGW_EXTPROC_HOST, AIGW_EXTPROC_PORT)`,
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
