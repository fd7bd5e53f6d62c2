/**
 * The complete (non-streaming) OpenAI `chat.completion` response every provider translation answers
 * with, built in one place so that every pair spells it the same way: the same keys in the same order,
 * `refusal` and `logprobs` always present (null unless the provider returned token log probabilities), `reasoning_content` and `tool_calls` only when there are
 * some.
 */
import type { ClientResponse, TokenUsage } from "../types";
import { jsonResponse } from "./json-exchange";
import { openAIUsage } from "./token-usage";
import type { ReasoningBlock } from "./reasoning";
import type { OpenAIChoiceLogprobs } from "./logprobs";

/** The `finish_reason` values an OpenAI choice can carry. */
export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** An OpenAI tool call, as a chat completion message carries it (a provider may add fields). */
export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** What one choice's assistant message says, sorted out of a provider's answer. */
export interface AssistantReply {
  /** The answer text; null when the provider sent none. */
  content: string | null;
  /** Reasoning text, sent as `reasoning_content`; null leaves the field out. */
  reasoning: string | null;
  toolCalls: readonly OpenAIToolCall[];
  /** Why the model or the provider declined to answer. */
  refusal?: string;
  /**
   * The provider's reasoning blocks with their signatures, sent as `thinking_blocks` for the client
   * to send back with the message on the next turn; left out when empty or undefined.
   */
  thinkingBlocks?: readonly ReasoningBlock[];
}

/** The reply with its reasoning blocks only when the request wants them (`thinkingBlocks`). */
export function withThinkingBlocks(reply: AssistantReply, wanted: boolean): AssistantReply {
  return wanted || reply.thinkingBlocks === undefined
    ? reply
    : { ...reply, thinkingBlocks: undefined };
}

/**
 * One `choices[]` entry. A reply without text gets `content: ""`, or `null` when tool calls or a
 * refusal answer instead, as OpenAI sends it.
 */
export function chatCompletionChoice(
  index: number,
  reply: AssistantReply,
  finishReason: OpenAIFinishReason,
  logprobs: OpenAIChoiceLogprobs | null = null,
) {
  const { reasoning, toolCalls, thinkingBlocks } = reply;
  const refusal = reply.refusal ?? null;
  return {
    index,
    message: {
      role: "assistant",
      content: reply.content ?? (toolCalls.length > 0 || refusal !== null ? null : ""),
      refusal,
      ...(reasoning !== null && { reasoning_content: reasoning }),
      ...(thinkingBlocks !== undefined &&
        thinkingBlocks.length > 0 && { thinking_blocks: thinkingBlocks }),
      ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
    },
    logprobs,
    finish_reason: finishReason,
  };
}

/** A `chat.completion` choice, as `chatCompletionChoice` builds it. */
export type ChatCompletionChoice = ReturnType<typeof chatCompletionChoice>;

/**
 * The `application/json` client response for a complete chat answer. `model` is the model the
 * client asked for; `usage` is reported both in the body and to the caller.
 */
export function chatCompletionResponse(completion: {
  id: string;
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage: TokenUsage;
}): ClientResponse {
  const { id, created, model, choices, usage } = completion;
  return jsonResponse(
    { id, object: "chat.completion", created, model, choices, usage: openAIUsage(usage) },
    usage,
  );
}
