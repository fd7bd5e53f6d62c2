/** What the schema cannot say about an AIGatewayRoute, one small function per rule. */
import type { ReferenceLookup } from "../validation/lookup";
import { bodyMutationViolations, headerMutationViolations } from "../validation/shared-rules";
import { re2SyntaxError } from "../validation/re2";
import type { Violation } from "../validation/violation";
import { AIGatewayRouteSpec, LLMRequestCost, MAX_DISTINCT_BACKENDS } from "./ai-gateway-route";
import { CostExpression } from "./cost-expression";

/** RegularExpression header matches must be RE2 syntax, which Envoy (and the data plane) match with. */
export function invalidHeaderRegexes(spec: AIGatewayRouteSpec): Violation[] {
  const violations: Violation[] = [];
  spec.rules.forEach((rule, r) =>
    rule.matches?.forEach((match, m) =>
      match.headers?.forEach((header, h) => {
        if (header.type !== "RegularExpression") return;
        const reason = re2SyntaxError(header.value);
        if (reason === undefined) return;
        violations.push({
          path: `spec.rules[${r}].matches[${m}].headers[${h}].value`,
          message: `${JSON.stringify(header.value)} is not a valid RE2 regular expression: ${reason}`,
        });
      }),
    ),
  );
  return violations;
}

/** A rule that lists one backend twice would split or fall back to itself. */
export function duplicateBackendRefs(spec: AIGatewayRouteSpec, namespace: string): Violation[] {
  const violations: Violation[] = [];
  spec.rules.forEach((rule, r) => {
    const seen = new Set<string>();
    rule.backendRefs?.forEach((ref, b) => {
      const key = `${ref.namespace ?? namespace}/${ref.name}`;
      if (seen.has(key)) {
        violations.push({
          path: `spec.rules[${r}].backendRefs[${b}]`,
          message: `AIServiceBackend "${key}" is listed twice in this rule; list each backend once`,
        });
      }
      seen.add(key);
    });
  });
  return violations;
}

/**
 * The generated HTTPRoute has one rule per distinct backend and room for 15; the limit is known at
 * admission, so say it then rather than in a status after the route is stored.
 */
export function tooManyBackends(spec: AIGatewayRouteSpec, namespace: string): Violation[] {
  const distinct = new Set(
    spec.rules.flatMap(rule =>
      (rule.backendRefs ?? []).map(ref => `${ref.namespace ?? namespace}/${ref.name}`),
    ),
  );
  if (distinct.size <= MAX_DISTINCT_BACKENDS) return [];
  return [
    {
      path: "spec.rules",
      message: `the route uses ${distinct.size} distinct AIServiceBackends, but a route can use at most ${MAX_DISTINCT_BACKENDS} (its HTTPRoute holds one rule per backend, plus the catch-all): split the rules over two AIGatewayRoutes`,
    },
  ];
}

/**
 * A rule whose backends all have weight 0 matches requests and sends them nowhere (they fail with
 * 503). Legal, perhaps meant to drain traffic, so a warning rather than a refusal.
 */
export function unroutableRules(spec: AIGatewayRouteSpec): string[] {
  return spec.rules.flatMap((rule, r) => {
    const refs = rule.backendRefs ?? [];
    if (refs.length === 0 || refs.some(ref => ref.weight > 0)) return [];
    return [
      `spec.rules[${r}].backendRefs: every backend has weight 0, so requests this rule matches can never be routed and fail with 503; give at least one backend a weight above 0, or remove the rule`,
    ];
  });
}

/** Body and header mutations on the route's backend references. */
export function invalidRouteMutations(spec: AIGatewayRouteSpec): Violation[] {
  return spec.rules.flatMap((rule, r) =>
    (rule.backendRefs ?? []).flatMap((ref, b) => [
      ...bodyMutationViolations(
        ref.bodyMutation,
        `spec.rules[${r}].backendRefs[${b}].bodyMutation`,
      ),
      ...headerMutationViolations(
        ref.headerMutation,
        `spec.rules[${r}].backendRefs[${b}].headerMutation`,
      ),
    ]),
  );
}

/** Header names are case-insensitive, so one match must not name a header twice in two spellings. */
export function headersMatchedTwice(spec: AIGatewayRouteSpec): Violation[] {
  return spec.rules.flatMap((rule, r) =>
    (rule.matches ?? []).flatMap((match, m) => {
      const names = (match.headers ?? []).map(h => h.name.toLowerCase());
      return new Set(names).size === names.length
        ? []
        : [
            {
              path: `spec.rules[${r}].matches[${m}].headers`,
              message:
                "each header may be matched only once per match (names are case-insensitive)",
            },
          ];
    }),
  );
}

/** Why a cost expression is unusable, or undefined when it can be used. */
export function costExpressionProblem(expression: string): string | undefined {
  const compiled = CostExpression.compile(expression);
  return "problem" in compiled ? compiled.problem : undefined;
}

/** CEL cost expressions must compile against the documented variables. */
export function invalidCostExpressions(spec: AIGatewayRouteSpec): Violation[] {
  return (spec.llmRequestCosts ?? []).flatMap((cost: LLMRequestCost, index) => {
    if (cost.cel === undefined) return [];
    const problem = costExpressionProblem(cost.cel);
    return problem ? [{ path: `spec.llmRequestCosts[${index}].cel`, message: problem }] : [];
  });
}

export function ruleViolations(spec: AIGatewayRouteSpec, namespace: string): Violation[] {
  return [
    ...invalidHeaderRegexes(spec),
    ...duplicateBackendRefs(spec, namespace),
    ...tooManyBackends(spec, namespace),
    ...invalidRouteMutations(spec),
    ...headersMatchedTwice(spec),
    ...invalidCostExpressions(spec),
  ];
}

/**
 * Warnings for references to objects that do not exist yet; apply order must not matter. The
 * backends of each namespace are read once (a route names many), concurrently with the Gateways;
 * warnings keep spec order.
 */
export async function missingReferences(
  spec: AIGatewayRouteSpec,
  namespace: string,
  lookup: ReferenceLookup,
): Promise<string[]> {
  const parents = (spec.parentRefs ?? []).map(async (parent, index) => {
    const ns = parent.namespace ?? namespace;
    if (await lookup.exists("Gateway", ns, parent.name)) return [];
    return [
      `spec.parentRefs[${index}]: Gateway "${parent.name}" not found in namespace "${ns}"; the route takes no traffic until it exists`,
    ];
  });
  const refs = spec.rules.flatMap((rule, r) =>
    (rule.backendRefs ?? []).map((ref, b) => ({
      r,
      b,
      name: ref.name,
      ns: ref.namespace ?? namespace,
    })),
  );
  const backendsIn = new Map(
    [...new Set(refs.map(ref => ref.ns))].map(ns => [ns, lookup.namesIn("AIServiceBackend", ns)]),
  );
  const backends = (async () => {
    const warned = new Set<string>();
    const warnings: string[] = [];
    for (const { r, b, name, ns } of refs) {
      if (warned.has(`${ns}/${name}`) || (await backendsIn.get(ns)!).has(name)) continue;
      warned.add(`${ns}/${name}`);
      warnings.push(
        `spec.rules[${r}].backendRefs[${b}]: AIServiceBackend "${name}" not found in namespace "${ns}"; the route is not Accepted until it exists`,
      );
    }
    return warnings;
  })();
  return (await Promise.all([...parents, backends])).flat();
}
