/**
 * Token usage: our counts (`TokenUsage`, as OpenAI counts them), and the OpenAI `usage` object that
 * complete responses and the final stream chunk carry.
 */
import type { TokenUsage } from "../types";

/** No tokens: the usage of an error response, or of a response that reports none. */
export const NO_USAGE: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  cachedInputTokens: 0,
  cacheCreationInputTokens: 0,
  reasoningTokens: 0,
};

/**
 * Usage from a provider that counts cached input apart from the rest of the prompt (Anthropic,
 * Bedrock Converse): OpenAI's prompt tokens include cache reads and writes, and its cached tokens are
 * the reads.
 */
export function usageWithCachedInput(counts: {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  /** Output tokens spent reasoning, where the provider reports them (0 otherwise). */
  reasoning?: number;
}): TokenUsage {
  const inputTokens = counts.input + counts.cacheRead + counts.cacheWrite;
  return {
    inputTokens,
    outputTokens: counts.output,
    totalTokens: inputTokens + counts.output,
    cachedInputTokens: counts.cacheRead,
    cacheCreationInputTokens: counts.cacheWrite,
    reasoningTokens: counts.reasoning ?? 0,
  };
}

/**
 * Our usage counts in the OpenAI `usage` object shape. `prompt_tokens` is the whole input: uncached,
 * cache reads and cache writes. OpenAI's object has no field for cache writes (OpenAI caches on its
 * own and charges nothing to write), so they go beside the reads as
 * `prompt_tokens_details.cache_creation_input_tokens`, the field Envoy AI Gateway writes, named as
 * Anthropic names the count (Portkey and LiteLLM put the same name at the top of `usage`); only when
 * there were writes, as Envoy AI Gateway does, so answers without them keep OpenAI's exact shape.
 */
export function openAIUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: {
      cached_tokens: usage.cachedInputTokens,
      ...(usage.cacheCreationInputTokens > 0 && {
        cache_creation_input_tokens: usage.cacheCreationInputTokens,
      }),
    },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}
