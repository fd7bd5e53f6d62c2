/**
 * The costs a route asks for (`llmRequestCosts`), computed from one request's token usage: written
 * as dynamic metadata, where Envoy Gateway's rate limits charge them.
 */
import { CostExpression } from "../api/v1alpha1/cost-expression";
import type { RouteConfig } from "../contract/route-config";
import { errorMessage } from "../lib/error-message";
import type { TokenUsage } from "../translators/types";

type Cost = RouteConfig["llmRequestCosts"][number];

/** Compiled expressions, per cost object of a config: a config is immutable once loaded. */
const compiled = new WeakMap<Cost, CostExpression | { problem: string }>();

function expressionOf(cost: Cost): CostExpression | { problem: string } {
  let expression = compiled.get(cost);
  if (!expression) {
    expression = cost.cel ? CostExpression.compile(cost.cel) : { problem: "no cel expression" };
    compiled.set(cost, expression);
  }
  return expression;
}

export interface CostContext {
  usage: TokenUsage;
  /** The model the client asked for. */
  model: string;
  /** The backend id that served. */
  backend: string;
}

/**
 * `metadataKey → cost` for every cost of the route. A CEL cost that fails (admission checked that it
 * compiles, so only an evaluation error is possible) is left out and reported in `problems`.
 */
export function computeCosts(
  costs: readonly Cost[],
  { usage, model, backend }: CostContext,
): { values: Record<string, number>; problems: string[] } {
  const values: Record<string, number> = {};
  const problems: string[] = [];
  for (const cost of costs) {
    switch (cost.type) {
      case "InputToken":
        values[cost.metadataKey] = usage.inputTokens;
        break;
      case "CachedInputToken":
        values[cost.metadataKey] = usage.cachedInputTokens;
        break;
      case "CacheCreationInputToken":
        values[cost.metadataKey] = usage.cacheCreationInputTokens;
        break;
      case "OutputToken":
        values[cost.metadataKey] = usage.outputTokens;
        break;
      case "TotalToken":
        values[cost.metadataKey] = usage.totalTokens;
        break;
      case "CEL": {
        const expression = expressionOf(cost);
        if (!(expression instanceof CostExpression)) {
          problems.push(`${cost.metadataKey}: ${expression.problem}`);
          break;
        }
        try {
          values[cost.metadataKey] = expression.evaluate({
            model,
            backend,
            inputTokens: usage.inputTokens,
            cachedInputTokens: usage.cachedInputTokens,
            cacheCreationInputTokens: usage.cacheCreationInputTokens,
            outputTokens: usage.outputTokens,
            totalTokens: usage.totalTokens,
          });
        } catch (error) {
          problems.push(`${cost.metadataKey}: ${errorMessage(error)}`);
        }
        break;
      }
    }
  }
  return { values, problems };
}
