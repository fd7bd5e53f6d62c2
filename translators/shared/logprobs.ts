/**
 * OpenAI's `choices[].logprobs`, as complete answers and stream chunks carry it, and the one way
 * every provider mapping writes a token into it.
 */

/** One alternative token at a step. */
export interface OpenAITopLogprob {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes, so that a client can join tokens that split a character. */
  bytes: number[];
}

/** One generated token, with the most likely alternatives at its step. */
export interface OpenAITokenLogprob extends OpenAITopLogprob {
  top_logprobs: OpenAITopLogprob[];
}

/** `choices[].logprobs`: the content tokens; no provider here reports refusal tokens apart. */
export interface OpenAIChoiceLogprobs {
  content: OpenAITokenLogprob[];
  refusal: null;
}

const encoder = new TextEncoder();

/** A token with its log probability and UTF-8 bytes. */
export function openAITopLogprob(token: string, logprob: number): OpenAITopLogprob {
  return { token, logprob, bytes: Array.from(encoder.encode(token)) };
}
