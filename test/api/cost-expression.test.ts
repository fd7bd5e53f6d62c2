import { CostExpression } from "../../api/v1alpha1/cost-expression";

describe("CostExpression", () => {
  const usage = {
    model: "gpt-4o",
    backend: "default/openai",
    inputTokens: 100,
    cachedInputTokens: 40,
    cacheCreationInputTokens: 20,
    outputTokens: 10,
    totalTokens: 110,
  };

  it("evaluates with the request's token counts", () => {
    const compiled = CostExpression.compile(
      "model == 'gpt-4o' ? input_tokens - cached_input_tokens + output_tokens * 4u : total_tokens",
    );
    if ("problem" in compiled) throw new Error(compiled.problem);
    expect(compiled.evaluate(usage)).toBe(100);
    expect(compiled.evaluate({ ...usage, model: "other" })).toBe(110);
  });

  it("sees prompt-cache writes as cache_creation_input_tokens, as the reference names them", () => {
    // Cache writes cost more than plain input at Anthropic (1.25x): charge them apart.
    const compiled = CostExpression.compile(
      "input_tokens - cached_input_tokens - cache_creation_input_tokens + cache_creation_input_tokens * 5u / 4u",
    );
    if ("problem" in compiled) throw new Error(compiled.problem);
    expect(compiled.evaluate(usage)).toBe(65);
  });

  it("rejects an expression that returns a negative number", () => {
    expect(CostExpression.compile("-1")).toEqual({ problem: "must not return a negative number" });
  });
});
