import { computeCosts } from "../../pipeline/costs";
import type { TokenUsage } from "../../translators/types";

const usage: TokenUsage = {
  inputTokens: 100,
  outputTokens: 10,
  totalTokens: 110,
  cachedInputTokens: 40,
  cacheCreationInputTokens: 20,
  reasoningTokens: 3,
};

describe("computeCosts", () => {
  it("counts each token type under its metadata key, cache writes included", () => {
    const { values, problems } = computeCosts(
      [
        { metadataKey: "in", type: "InputToken" },
        { metadataKey: "cached", type: "CachedInputToken" },
        { metadataKey: "cache_write", type: "CacheCreationInputToken" },
        { metadataKey: "out", type: "OutputToken" },
        { metadataKey: "total", type: "TotalToken" },
        { metadataKey: "cel", type: "CEL", cel: "cache_creation_input_tokens * 2u" },
      ],
      { usage, model: "claude", backend: "default/anthropic" },
    );
    expect(problems).toEqual([]);
    expect(values).toEqual({
      in: 100,
      cached: 40,
      cache_write: 20,
      out: 10,
      total: 110,
      cel: 40,
    });
  });
});
