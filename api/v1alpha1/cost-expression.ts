/**
 * CEL cost expressions (AIGatewayRoute `llmRequestCosts[].cel`): compiled and checked here for the
 * validator, and evaluated with real token counts by the data plane.
 */
import { Environment, evaluate } from "@marcbachmann/cel-js";
import { COST_CEL_VARIABLES } from "./ai-gateway-route";
import { errorMessage } from "../../lib/error-message";

/** The values a cost expression sees for one request. */
export interface CostInputs {
  model: string;
  backend: string;
  inputTokens: number;
  cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache (Anthropic, Bedrock); 0 elsewhere. */
  cacheCreationInputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

const firstLine = (text: string) => text.split("\n")[0].trim();

function costEnvironment(): Environment {
  const environment = new Environment();
  for (const [name, type] of Object.entries(COST_CEL_VARIABLES)) {
    environment.registerVariable(name, type);
  }
  return environment;
}

// The library represents CEL uint values with a class it does not export; make them through CEL.
const toUint = (value: number): unknown =>
  evaluate("uint(v)", { v: BigInt(Math.max(0, Math.trunc(value))) });

function variablesOf(inputs: CostInputs): Record<string, unknown> {
  return {
    model: inputs.model,
    backend: inputs.backend,
    input_tokens: toUint(inputs.inputTokens),
    cached_input_tokens: toUint(inputs.cachedInputTokens),
    cache_creation_input_tokens: toUint(inputs.cacheCreationInputTokens),
    output_tokens: toUint(inputs.outputTokens),
    total_tokens: toUint(inputs.totalTokens),
  };
}

function toNumber(value: unknown): number {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number") return value;
  if (value !== null && typeof value === "object" && "valueOf" in value)
    return Number(value.valueOf());
  throw new TypeError(`a cost must be an integer, got ${typeof value}`);
}

/** A compiled cost expression. */
export class CostExpression {
  private constructor(
    private readonly environment: Environment,
    private readonly expression: string,
  ) {}

  /**
   * Compiles `expression`, or says why it cannot be used: it must compile against the documented
   * variables, return an integer, and not fail when every token count is 0.
   */
  static compile(expression: string): CostExpression | { problem: string } {
    const environment = costEnvironment();
    const checked = environment.check(expression);
    if (!checked.valid)
      return { problem: `does not compile: ${firstLine(checked.error?.message ?? "")}` };
    if (checked.type !== "int" && checked.type !== "uint" && checked.type !== "dyn") {
      return { problem: `must return an integer (int or uint), not ${checked.type}` };
    }
    const compiled = new CostExpression(environment, expression);
    try {
      if (
        compiled.evaluate({
          model: "",
          backend: "",
          inputTokens: 0,
          cachedInputTokens: 0,
          cacheCreationInputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
        }) < 0
      ) {
        return { problem: "must not return a negative number" };
      }
    } catch (error) {
      return {
        problem: `fails when every token count is 0: ${firstLine(errorMessage(error))}`,
      };
    }
    return compiled;
  }

  /** The cost for one request. */
  evaluate(inputs: CostInputs): number {
    return toNumber(this.environment.evaluate(this.expression, variablesOf(inputs)));
  }
}
