/**
 * OpenAI chat completions ⇄ Anthropic Messages, shared by the native Anthropic API and Anthropic on
 * Vertex AI (they differ only in path, `model` and `anthropic_version`; see the two factories).
 * Pure functions; the wire shapes live in `anthropic-types.ts` and the stream state in
 * `anthropic-stream.ts`.
 */
import type {
  AnthropicCacheableBlock,
  AnthropicCacheControl,
  AnthropicErrorBody,
  AnthropicMessage,
  AnthropicRequestBlock,
  AnthropicRequestBody,
  AnthropicResponseBlock,
  AnthropicStreamEvent,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicUsage,
} from "./anthropic-types";
import { badRequest, type MappedError, type TranslationError } from "./errors";
import type { TokenUsage } from "./types";
import type { AssistantReply, OpenAIFinishReason, OpenAIToolCall } from "./shared/chat-completion";
import { parseMediaUrl } from "./shared/media-url";
import type { ReasoningBlock } from "./shared/reasoning";
import {
  anthropicThinkingFor,
  maxTokensForThinking,
  reasoningAsk,
  thinkingBlocksOf,
  type ReasoningEffort,
} from "./shared/reasoning";
import type {
  AssistantContentPart,
  CacheControl,
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  ThinkingBlock,
} from "./shared/openai-chat";
import {
  coarseErrorType,
  type HttpErrorMapper,
  mapProviderError,
  providerErrorMapper,
  type ProviderError,
  type ProviderErrorRules,
} from "./shared/provider-errors";
import {
  appendTurn,
  assistantPartText,
  textOf,
  toolCallArguments,
} from "./shared/provider-messages";
import { partCacheControl, toolCacheControl, toolResultCacheControl } from "./shared/prompt-cache";
import { requiredJsonSchemaOf, type SchemaOnlyRefusals } from "./shared/schema-only-output";
import { usageWithCachedInput } from "./shared/token-usage";

/**
 * Anthropic requires `max_tokens`; OpenAI makes it optional. When the client sends neither
 * `max_completion_tokens` nor `max_tokens`, this many output tokens are allowed.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** The most `cache_control` breakpoints Anthropic takes in one request (tools, system, messages). */
const MAX_CACHE_BREAKPOINTS = 4;

// ---- OpenAI → Anthropic request ----

/**
 * Builds the Messages body shared by both Anthropic APIs.
 *
 * Mapping notes: system and developer messages become `system` blocks; `tool` messages become
 * `tool_result` blocks in a user turn, and consecutive same-role turns are merged because Anthropic
 * demands alternation; `user` becomes `metadata.user_id`. `seed`, `presence_penalty`,
 * `frequency_penalty` and `logprobs` have no Anthropic equivalent and are ignored.
 * `response_format: json_schema` becomes `output_config.format`. `cache_control` on a content part
 * goes on its block; on a message, on the message's last block (a tool message's `tool_result`); on
 * a tool, on the tool.
 * @throws TranslationError (400) for `n` > 1, `response_format` json_object (Anthropic has no
 *   schema-less JSON mode) or json_schema without a schema, unsupported content parts, tool-call
 *   arguments that are not a JSON object, and more than `MAX_CACHE_BREAKPOINTS` breakpoints.
 */
export function buildAnthropicBody(request: ChatCompletionRequest): AnthropicRequestBody {
  if (request.n != null && request.n > 1) {
    throw badRequest("n: Anthropic returns one choice per request; n must be 1.", "n");
  }
  const outputFormat = structuredOutputOf(request);
  const { messages, system } = buildMessages(request.messages);
  const clientMaxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const body: AnthropicRequestBody = {
    max_tokens: clientMaxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) body.system = system;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(tool =>
      withCacheControl<AnthropicTool>(
        {
          name: tool.function.name,
          ...(tool.function.description !== undefined && {
            description: tool.function.description,
          }),
          input_schema: tool.function.parameters ?? { type: "object", properties: {} },
        },
        toolCacheControl(tool),
      ),
    );
  }
  const toolChoice = buildToolChoice(request);
  if (toolChoice) body.tool_choice = toolChoice;
  if (request.stop != null) {
    body.stop_sequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  }
  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.user != null) body.metadata = { user_id: request.user };
  if (outputFormat) body.output_config = { format: outputFormat };
  applyReasoning(body, request, clientMaxTokens);
  checkCacheBreakpoints(body);
  return body;
}

/**
 * Refuses more breakpoints than Anthropic takes, with the limit, rather than sending a request
 * Anthropic would refuse in its own words.
 */
function checkCacheBreakpoints(body: AnthropicRequestBody): void {
  let count = 0;
  for (const tool of body.tools ?? []) if (tool.cache_control) count++;
  for (const block of body.system ?? []) if (block.cache_control) count++;
  for (const message of body.messages) {
    for (const block of message.content) {
      if ("cache_control" in block && block.cache_control) count++;
    }
  }
  if (count > MAX_CACHE_BREAKPOINTS) {
    throw badRequest(
      `cache_control: Anthropic takes at most ${MAX_CACHE_BREAKPOINTS} cache breakpoints in a request, counting tools, system and messages together; this request has ${count}. Remove cache_control from the ones least worth caching.`,
      "cache_control",
    );
  }
}

/** `target` with the client's breakpoint, when it set one. */
function withCacheControl<T extends { cache_control?: AnthropicCacheControl }>(
  target: T,
  cacheControl: CacheControl | null | undefined,
): T {
  if (cacheControl) target.cache_control = cacheControl;
  return target;
}

/**
 * Puts a message's breakpoint on the last of its blocks, which ends the prefix it marks. Reasoning
 * blocks cannot carry one, so a message that is only reasoning leaves it out.
 */
function markLastBlock<T extends AnthropicRequestBlock>(
  blocks: T[],
  cacheControl: CacheControl | null | undefined,
): T[] {
  const last: AnthropicRequestBlock | undefined = blocks.at(-1);
  if (cacheControl && last && last.type !== "thinking" && last.type !== "redacted_thinking") {
    last.cache_control = cacheControl;
  }
  return blocks;
}

/** Anthropic has no schema-less JSON mode: `response_format` must carry a schema. */
const ANTHROPIC_SCHEMA_REFUSALS: SchemaOnlyRefusals = {
  jsonObject:
    'response_format: "json_object" is not supported for Anthropic backends, which only take a JSON schema; send response_format json_schema with json_schema.schema instead.',
  missingSchema:
    "response_format.json_schema.schema is required for Anthropic backends: they constrain the answer to a schema.",
};

/** `response_format: json_schema` → Anthropic's structured output (`output_config.format`). */
function structuredOutputOf(
  request: ChatCompletionRequest,
): { type: "json_schema"; schema: Record<string, unknown> } | undefined {
  const jsonSchema = requiredJsonSchemaOf(request, ANTHROPIC_SCHEMA_REFUSALS);
  return jsonSchema && { type: "json_schema", schema: jsonSchema.schema };
}

/** OpenAI efforts → Anthropic `output_config.effort` (Anthropic has no `minimal`, no `none`). */
const ANTHROPIC_EFFORT: Readonly<Record<ReasoningEffort, string | undefined>> = {
  none: undefined,
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "xhigh",
  max: "max",
};

/**
 * `reasoning_effort` and `thinking` → Anthropic `thinking` (and `output_config.effort`). A client's
 * own `thinking` object goes as it came, and `reasoning_effort` beside it becomes
 * `output_config.effort`, the pair Anthropic's newer models take; `reasoning_effort` alone turns
 * thinking on with a budget for the effort (`THINKING_BUDGET`), which every thinking Claude model
 * takes, or off for `none`. `max_tokens` grows to make room for a budget the client did not bound.
 */
function applyReasoning(
  body: AnthropicRequestBody,
  request: ChatCompletionRequest,
  clientMaxTokens: number | undefined,
): void {
  const { effort, thinking } = reasoningAsk(request);
  if (thinking !== undefined) {
    body.thinking = thinking;
    const maxTokens = maxTokensForThinking(thinking, clientMaxTokens, DEFAULT_MAX_TOKENS);
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    const level = effort && ANTHROPIC_EFFORT[effort];
    if (level) body.output_config = { ...body.output_config, effort: level };
    return;
  }
  if (effort === undefined) return;
  const mapped = anthropicThinkingFor(effort, clientMaxTokens, DEFAULT_MAX_TOKENS);
  body.thinking = mapped.thinking;
  if (mapped.maxTokens !== undefined) body.max_tokens = mapped.maxTokens;
}

function buildMessages(messages: ChatMessage[]): {
  messages: AnthropicMessage[];
  system: AnthropicTextBlock[];
} {
  const turns: AnthropicMessage[] = [];
  const system: AnthropicTextBlock[] = [];
  messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...markLastBlock(textBlocks(message.content, field), message.cache_control));
        return;
      case "user":
        appendTurn(
          turns,
          "content",
          "user",
          markLastBlock(userBlocks(message.content, field), message.cache_control),
        );
        return;
      case "assistant": {
        const blocks: AnthropicRequestBlock[] = [];
        // Anthropic wants an assistant turn's thinking blocks first, as it sent them.
        for (const block of thinkingBlocksOf(message)) blocks.push(thinkingBlock(block));
        blocks.push(...assistantBlocks(message.content ?? [], field));
        for (const [j, call] of (message.tool_calls ?? []).entries()) {
          blocks.push(toolUseOf(call, `${field}.tool_calls[${j}]`));
        }
        appendTurn(turns, "content", "assistant", markLastBlock(blocks, message.cache_control));
        return;
      }
      case "tool":
        appendTurn(turns, "content", "user", [
          withCacheControl<AnthropicCacheableBlock>(
            {
              type: "tool_result",
              tool_use_id: message.tool_call_id,
              content: textOf(message.content),
            },
            toolResultCacheControl(message),
          ),
        ]);
        return;
      default:
        throw badRequest(`${field}.role is not supported for Anthropic backends.`, `${field}.role`);
    }
  });
  return { messages: turns, system };
}

function textBlocks(
  content: string | ChatContentPart[] | null,
  field: string,
): AnthropicTextBlock[] {
  if (content === null) return [];
  // Anthropic rejects empty text blocks.
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return content.map((part, j) => {
    if (part.type === "text") return textBlockOf(part.text, part.cache_control);
    throw unsupportedPart(part.type, `${field}.content[${j}]`);
  });
}

function textBlockOf(
  text: string,
  cacheControl: CacheControl | null | undefined,
): AnthropicTextBlock {
  return withCacheControl<AnthropicTextBlock>({ type: "text", text }, cacheControl);
}

/** An assistant message's content: text, and refusals as the text they said. */
function assistantBlocks(
  content: string | AssistantContentPart[],
  field: string,
): AnthropicRequestBlock[] {
  if (typeof content === "string") return textBlocks(content, field);
  return content.flatMap((part, j): AnthropicRequestBlock[] => {
    const text = assistantPartText(part);
    if (text !== undefined) {
      return [textBlockOf(text, partCacheControl(part))];
    }
    // Reasoning parts went first, through thinkingBlocksOf.
    if (part.type === "thinking" || part.type === "redacted_thinking") return [];
    throw unsupportedPart(part.type, `${field}.content[${j}]`);
  });
}

/** A reasoning block sent back, as Anthropic gave it. */
function thinkingBlock(block: ThinkingBlock): AnthropicRequestBlock {
  return block.type === "thinking"
    ? { type: "thinking", thinking: block.thinking, signature: block.signature ?? "" }
    : { type: "redacted_thinking", data: block.data };
}

function userBlocks(content: string | ChatContentPart[], field: string): AnthropicRequestBlock[] {
  if (typeof content === "string") return textBlocks(content, field);
  return content.map(
    (part, j): AnthropicRequestBlock =>
      withCacheControl(userPartBlock(part, `${field}.content[${j}]`), part.cache_control),
  );
}

/** A user content part as an Anthropic block, before its breakpoint. */
function userPartBlock(part: ChatContentPart, partField: string): AnthropicCacheableBlock {
  if (part.type === "text") return { type: "text", text: part.text };
  if (part.type === "image_url") {
    return imageBlock(part.image_url.url, `${partField}.image_url.url`);
  }
  throw unsupportedPart(part.type, partField);
}

function imageBlock(url: string, field: string): AnthropicCacheableBlock {
  const media = parseMediaUrl(url);
  if (media === undefined || (media.kind === "link" && url.startsWith("gs:"))) {
    throw badRequest(`${field} must be a base64 data URI or an https or http URL.`, field);
  }
  if (media.kind === "inline") {
    return {
      type: "image",
      source: { type: "base64", media_type: media.mimeType, data: media.data },
    };
  }
  return { type: "image", source: { type: "url", url: media.url } };
}

function toolUseOf(call: ChatToolCall, field: string): AnthropicRequestBlock {
  return {
    type: "tool_use",
    id: call.id,
    name: call.function.name,
    input: toolCallArguments(call, field),
  };
}

/** OpenAI `tool_choice` strings → Anthropic `tool_choice` types. */
const TOOL_CHOICE_TYPE = { auto: "auto", required: "any", none: "none" } as const;

function buildToolChoice(request: ChatCompletionRequest): AnthropicToolChoice | undefined {
  const choice = request.tool_choice;
  // OpenAI's parallel_tool_calls:false is Anthropic's disable_parallel_tool_use:true, which lives
  // on tool_choice; the default choice (auto) is spelled out to carry it.
  const disableParallel = request.parallel_tool_calls === false && request.tools?.length;
  const parallel = disableParallel ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return disableParallel ? { type: "auto", ...parallel } : undefined;
  if (typeof choice !== "string") return { type: "tool", name: choice.function.name, ...parallel };
  const type = TOOL_CHOICE_TYPE[choice];
  return type === "none" ? { type } : { type, ...parallel };
}

// ---- Anthropic → OpenAI response ----

/** Anthropic `stop_reason` → OpenAI `finish_reason`; anything unlisted counts as a normal stop. */
const FINISH_REASON: Readonly<Record<string, OpenAIFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** Maps an Anthropic stop reason; null stays null (the message is not finished). */
export function mapStopReason(reason: string | null | undefined): OpenAIFinishReason | null {
  if (reason == null) return null;
  return FINISH_REASON[reason] ?? "stop";
}

/**
 * Sorts response blocks into answer text, reasoning (`thinking`), the reasoning blocks to send back
 * (thinking with its signature, and `redacted_thinking`) and tool calls.
 */
export function sortBlocks(blocks: AnthropicResponseBlock[] | undefined): AssistantReply {
  let content: string | null = null;
  let reasoning: string | null = null;
  const toolCalls: OpenAIToolCall[] = [];
  const thinkingBlocks: ReasoningBlock[] = [];
  for (const block of blocks ?? []) {
    if (block.type === "text") content = (content ?? "") + (block.text ?? "");
    else if (block.type === "thinking") {
      reasoning = (reasoning ?? "") + (block.thinking ?? "");
      thinkingBlocks.push({
        type: "thinking",
        thinking: block.thinking ?? "",
        signature: block.signature ?? "",
      });
    } else if (block.type === "redacted_thinking") {
      thinkingBlocks.push({ type: "redacted_thinking", data: block.data ?? "" });
    } else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id ?? "",
        type: "function",
        function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  return { content, reasoning, toolCalls, thinkingBlocks };
}

/** Anthropic usage → OpenAI usage: OpenAI's input tokens include cache reads and writes. */
export function usageFromAnthropic(usage: AnthropicUsage | undefined): TokenUsage {
  return usageWithCachedInput({
    input: usage?.input_tokens ?? 0,
    cacheRead: usage?.cache_read_input_tokens ?? 0,
    cacheWrite: usage?.cache_creation_input_tokens ?? 0,
    output: usage?.output_tokens ?? 0,
    reasoning: usage?.output_tokens_details?.thinking_tokens ?? 0,
  });
}

// ---- Errors ----

/** Anthropic error types → the HTTP status and OpenAI error type a client expects. */
const ANTHROPIC_ERRORS: ProviderErrorRules = {
  table: {
    invalid_request_error: { status: 400, type: "invalid_request_error" },
    authentication_error: { status: 401, type: "authentication_error" },
    billing_error: { status: 402, type: "billing_error" },
    permission_error: { status: 403, type: "permission_error" },
    not_found_error: { status: 404, type: "not_found_error" },
    request_too_large: { status: 413, type: "invalid_request_error" },
    rate_limit_error: { status: 429, type: "rate_limit_error" },
    api_error: { status: 500, type: "api_error" },
    timeout_error: { status: 504, type: "api_error" },
    // 529 is Anthropic's own; OpenAI clients retry on 503.
    overloaded_error: { status: 503, type: "api_error" },
  },
  // An unknown error type keeps the HTTP status, but for 529 (overloaded) and a non-error status.
  fallbackStatus: httpStatus => (httpStatus >= 400 && httpStatus !== 529 ? httpStatus : 503),
  fallbackType: coarseErrorType,
  read: readAnthropicError,
};

/**
 * Reads an Anthropic error body (`{type:"error", error:{type,message}}`), falling back to the raw
 * text. The Anthropic error type is kept as the OpenAI `code`.
 */
export const mapAnthropicError: HttpErrorMapper = providerErrorMapper(ANTHROPIC_ERRORS);

/**
 * Maps the `error` of an `error` stream event, which arrives after a 200: an error without a type
 * counts as `api_error`, and the HTTP status it maps to is that of an internal error.
 */
export function mapAnthropicStreamError(error: AnthropicStreamEvent["error"]): MappedError {
  return mapProviderError(
    ANTHROPIC_ERRORS,
    500,
    { name: error?.type ?? "api_error", message: error?.message ?? "" },
    "",
  );
}

/** The name and message an Anthropic error body holds, or undefined if the text is not one. */
function readAnthropicError(text: string): ProviderError | undefined {
  const parsed = parseAnthropicError(text);
  return parsed && { name: parsed.error.type, message: parsed.error.message };
}

/** Parses an Anthropic error body, or undefined if the text is not one. */
function parseAnthropicError(text: string): AnthropicErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const error = (value as { error?: unknown }).error;
    if (typeof error !== "object" || error === null) return undefined;
    const { type, message } = error as { type?: unknown; message?: unknown };
    if (typeof type !== "string") return undefined;
    return { type: "error", error: { type, message: typeof message === "string" ? message : "" } };
  } catch {
    return undefined;
  }
}

function unsupportedPart(type: string, field: string): TranslationError {
  return badRequest(
    `${field}: content parts of type "${type}" are not supported for Anthropic backends.`,
    field,
  );
}
