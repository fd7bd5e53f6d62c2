/** The Accepted verdict of each kind, from resolved references: pure, so tests and the CLI share it. */
import type { Verdict } from "./conditions";
import { envoyGatewayProblem, GeneratedObjectStatuses } from "./envoy-gateway-status";
import { MAX_DISTINCT_BACKENDS } from "../api/v1alpha1";
import { distinctBackendIds, Problem, RouteInputs } from "../resolve/resolved";

const accepted = (message: string): Verdict => ({ accepted: true, reason: "Accepted", message });
const notAccepted = (problem: Problem): Verdict => ({ accepted: false, ...problem });

/** An AIGatewayRoute is Accepted when every backend resolves and Envoy Gateway wired its children. */
export function routeVerdict(inputs: RouteInputs, statuses: GeneratedObjectStatuses): Verdict {
  const { route, backends } = inputs;
  const ids = distinctBackendIds(route);
  if (ids.length > MAX_DISTINCT_BACKENDS) {
    return notAccepted({
      reason: "TooManyBackends",
      message: `the route uses ${ids.length} distinct AIServiceBackends, but its HTTPRoute can hold rules for at most ${MAX_DISTINCT_BACKENDS}: split the route in two`,
    });
  }
  const problems = ids.flatMap(id => {
    const problem = backends.get(id)?.problem;
    return problem ? [problem] : [];
  });
  if (problems.length > 0) {
    return notAccepted({
      reason: problems[0].reason,
      message: problems.map(p => p.message).join("; "),
    });
  }
  const routeRef = `${route.metadata.namespace}/${route.metadata.name}`;
  const wiring = envoyGatewayProblem(routeRef, (route.spec.parentRefs ?? []).length > 0, statuses);
  if (wiring) return wiring;
  return accepted(
    `Envoy Gateway accepted the HTTPRoute and the ext_proc policy; ${ids.length} backend${ids.length === 1 ? "" : "s"} ready`,
  );
}

/** An AIServiceBackend is Accepted when its Envoy Gateway Backend exists (and is not rejected). */
export function backendVerdict(problem: Problem | undefined): Verdict {
  return problem ? notAccepted(problem) : accepted("the Envoy Gateway Backend exists");
}

/** A BackendSecurityPolicy is Accepted when its Secrets exist with the keys its type needs. */
export function policyVerdict(problem: Problem | undefined): Verdict {
  return problem ? notAccepted(problem) : accepted("the credentials resolve");
}
