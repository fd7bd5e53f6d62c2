/**
 * What a client asks of a model's reasoning, read once for every provider mapping: OpenAI's
 * `reasoning_effort`, and the Anthropic-style `thinking` object that clients send through OpenAI
 * SDKs; and the reasoning blocks of earlier assistant turns that go back to the provider.
 */
import { badRequest } from "../errors";
import type { AssistantMessage, ChatCompletionRequest, ThinkingBlock } from "./openai-chat";

/** A reasoning block as answers carry it and clients send it back (`thinking_blocks`). */
export type ReasoningBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

/** OpenAI's `reasoning_effort` values, lowest first. */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

const EFFORTS: ReadonlySet<string> = new Set<ReasoningEffort>([
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
]);

/** The Anthropic-style `thinking` object, as far as the mappings read it. */
export interface ThinkingSwitch {
  type: string;
  budget_tokens?: number;
}

/** What the request asks of reasoning; both undefined for a request that says nothing. */
export interface ReasoningAsk {
  effort: ReasoningEffort | undefined;
  thinking: ThinkingSwitch | undefined;
}

/**
 * Reads `reasoning_effort` and `thinking`.
 * @throws TranslationError (400) for a `reasoning_effort` OpenAI does not define.
 */
export function reasoningAsk(request: ChatCompletionRequest): ReasoningAsk {
  const effort = request.reasoning_effort ?? undefined;
  if (effort !== undefined && !EFFORTS.has(effort)) {
    throw badRequest(
      `reasoning_effort: "${effort}" is not a reasoning effort; use one of ${[...EFFORTS].join(", ")}.`,
      "reasoning_effort",
    );
  }
  return {
    effort: effort as ReasoningEffort | undefined,
    thinking: (request.thinking ?? undefined) as ThinkingSwitch | undefined,
  };
}

/**
 * Thinking tokens allowed for an effort, where a provider takes a budget rather than a level
 * (Anthropic `thinking.budget_tokens`, at least 1024). Undefined for `none`.
 */
export const THINKING_BUDGET: Readonly<Record<ReasoningEffort, number | undefined>> = {
  none: undefined,
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
  max: 32768,
};

/** Anthropic's smallest `thinking.budget_tokens`. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * An Anthropic `thinking` object for an effort, and the `max_tokens` to send with it: Anthropic wants
 * the budget below `max_tokens`, so a request without a limit gets `defaultMaxTokens` on top of the
 * budget, and one with a limit too low for the effort's budget gets the largest budget that fits.
 * @throws TranslationError (400) when the client's limit leaves no room for the smallest budget.
 */
export function anthropicThinkingFor(
  effort: ReasoningEffort,
  clientMaxTokens: number | undefined,
  defaultMaxTokens: number,
): {
  thinking: { type: "enabled"; budget_tokens: number } | { type: "disabled" };
  maxTokens?: number;
} {
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) return { thinking: { type: "disabled" } };
  if (clientMaxTokens === undefined) {
    return {
      thinking: { type: "enabled", budget_tokens: budget },
      maxTokens: defaultMaxTokens + budget,
    };
  }
  const fitting = Math.min(budget, clientMaxTokens - 1);
  if (fitting < MIN_THINKING_BUDGET) {
    throw badRequest(
      `reasoning_effort: thinking needs at least ${MIN_THINKING_BUDGET} tokens below max_completion_tokens (or max_tokens); raise the limit above ${MIN_THINKING_BUDGET} or leave reasoning_effort out.`,
      "reasoning_effort",
    );
  }
  return { thinking: { type: "enabled", budget_tokens: fitting } };
}

/**
 * A client-sent `thinking` object with a budget needs `max_tokens` above the budget: without a
 * client limit, `defaultMaxTokens` on top of the budget; undefined to leave the limit as it is.
 */
export function maxTokensForThinking(
  thinking: ThinkingSwitch,
  clientMaxTokens: number | undefined,
  defaultMaxTokens: number,
): number | undefined {
  if (clientMaxTokens !== undefined || thinking.type !== "enabled") return undefined;
  return thinking.budget_tokens === undefined
    ? undefined
    : defaultMaxTokens + thinking.budget_tokens;
}

const NO_BLOCKS: readonly ThinkingBlock[] = Object.freeze([]);

/**
 * The reasoning blocks of an earlier assistant turn, in order: its `thinking_blocks`, then the
 * thinking parts of its content. A thinking block without a signature is left out: no provider can
 * verify it, and each allows reasoning of earlier turns to be omitted.
 */
export function thinkingBlocksOf(message: AssistantMessage): readonly ThinkingBlock[] {
  const content = message.content;
  const listed = message.thinking_blocks;
  if ((listed == null || listed.length === 0) && (content == null || typeof content === "string")) {
    return NO_BLOCKS;
  }
  const blocks: ThinkingBlock[] = [];
  const add = (block: ThinkingBlock) => {
    if (block.type === "redacted_thinking" || block.signature) blocks.push(block);
  };
  for (const block of listed ?? []) add(block);
  if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === "thinking" || part.type === "redacted_thinking") add(part);
    }
  }
  return blocks;
}

/**
 * Whether the answer should carry reasoning blocks (`thinking_blocks`) for the client to send back:
 * when the request turned reasoning on, or sent such blocks back itself. Other requests get answers
 * shaped as before.
 */
export function wantsThinkingBlocks(request: ChatCompletionRequest): boolean {
  const effort = request.reasoning_effort;
  if (effort != null && effort !== "none") return true;
  if (request.thinking != null && request.thinking.type !== "disabled") return true;
  return request.messages.some(
    message => message.role === "assistant" && thinkingBlocksOf(message).length > 0,
  );
}
