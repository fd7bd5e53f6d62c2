/**
 * OpenAI chat completions ⇄ the AWS Bedrock Converse API (`/converse` and `/converse-stream` share
 * the request body). The request side builds the Converse body; the response side reads a Converse
 * response's content, stop reason, usage and errors. Pure functions; the wire shapes live in
 * `awsbedrock-types.ts`, the ConverseStream state in `awsbedrock-stream.ts` and the factory in
 * `openai-awsbedrock.ts`. The model paths and error mapping serve `InvokeModel` (embeddings) too.
 */
import {
  CONVERSE_SERVICE_TIERS,
  type BedrockErrorBody,
  type ConverseCachePoint,
  type ConverseImage,
  type ConverseMessage,
  type ConverseRequestBlock,
  type ConverseRequestBody,
  type ConverseResponseBlock,
  type ConverseServiceTier,
  type ConverseTool,
  type ConverseToolResultContent,
  type ConverseUsage,
} from "./awsbedrock-types";
import { badRequest, type MappedError } from "./errors";
import type { TokenUsage } from "./types";
import type { AssistantReply, OpenAIFinishReason, OpenAIToolCall } from "./shared/chat-completion";
import { parseJsonObject } from "../lib/json-object";
import { mimeTypeFromPath, parseMediaUrl } from "./shared/media-url";
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
  mapProviderError,
  providerErrorMapper,
  type HttpErrorMapper,
  type ProviderError,
  type ProviderErrorRules,
} from "./shared/provider-errors";
import { appendTurn, assistantPartText, toolCallArguments } from "./shared/provider-messages";
import { partCacheControl, toolCacheControl, toolResultCacheControl } from "./shared/prompt-cache";
import { requiredJsonSchemaOf, type SchemaOnlyRefusals } from "./shared/schema-only-output";
import { usageWithCachedInput } from "./shared/token-usage";
import {
  anthropicThinkingFor,
  maxTokensForThinking,
  reasoningAsk,
  thinkingBlocksOf,
  type ReasoningBlock,
  type ReasoningEffort,
} from "./shared/reasoning";

/** The Bedrock runtime operations on a model the translators call, as their paths spell them. */
type BedrockModelOperation = "converse" | "converse-stream" | "invoke";

/**
 * The upstream `:path` of a Bedrock runtime call on a model (`/model/{model}/converse`); the model
 * id (or ARN) is URI-encoded into it.
 */
export function bedrockModelPath(model: string, operation: BedrockModelOperation): string {
  return `/model/${encodeURIComponent(model)}/${operation}`;
}

// ---- OpenAI → Converse request ----

/** The image formats Converse takes, by MIME type. */
const IMAGE_FORMAT: Readonly<Record<string, string>> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** The audio formats Converse takes (OpenAI's `input_audio` sends `wav` or `mp3`). */
const AUDIO_FORMATS: ReadonlySet<string> = new Set([
  "aac",
  "flac",
  "m4a",
  "mka",
  "mkv",
  "mp3",
  "mp4",
  "mpeg",
  "mpga",
  "ogg",
  "opus",
  "pcm",
  "wav",
  "webm",
  "x-aac",
]);

/**
 * Builds the Converse body from a validated OpenAI chat request.
 *
 * Mapping notes:
 * - system and developer messages become `system` blocks; `tool` messages become `toolResult` blocks
 *   (text, and images) in a user turn; consecutive same-role turns are merged, because Converse
 *   demands alternation. Empty text is dropped, because Converse rejects blank text blocks (an empty
 *   tool result is sent as an empty `content` list). Whether the conversation starts with a user turn
 *   is left for Bedrock to judge.
 * - `image_url` takes a base64 data URI (png, jpeg, gif, webp) or an `s3://` URI; `input_audio` becomes
 *   an `audio` block.
 * - `tool_choice`: `auto` → `{auto:{}}`, `required` → `{any:{}}`, a named function → `{tool:{name}}`.
 *   Converse has no "none": `none`, like a request without `tools`, leaves `toolConfig` out, so the
 *   model cannot call a tool. Converse refuses a conversation holding tool calls or results without a
 *   `toolConfig`, though, so there one is sent with no `toolChoice`: the request's `tools`, or, when it
 *   sends none (OpenAI allows that, e.g. for a last turn after the tools ran), a stand-in for each tool
 *   the conversation called, with its name, an any-object input schema and a description saying it is
 *   only present because the conversation history used it. The model may then still call a tool, but
 *   only one the client offered, in this request or earlier in the conversation.
 * - `response_format` `json_schema` becomes `outputConfig.textFormat` (Bedrock structured outputs; a
 *   model without them answers with Bedrock's own 400).
 * - `service_tier` becomes `serviceTier` (see `converseServiceTier`).
 * - `cache_control` on a content part, a message or a tool becomes a `cachePoint` block after the
 *   part, the message's blocks (a system message's in `system`) or the tool, with its `ttl`. How many
 *   checkpoints a request may hold, and where, differs by model, so Bedrock judges that.
 * - Ignored, for want of a Converse equivalent that every model takes: `seed`, `presence_penalty`,
 *   `frequency_penalty`, `logprobs`, `user` (Converse's `requestMetadata` only takes a narrow
 *   character set), `parallel_tool_calls`, `reasoning_effort` and tools' `strict` (strict tool use would
 *   make Bedrock refuse or first compile the schema on models and schemas that do not support it).
 * @throws TranslationError (400) naming the field for `n` > 1, `response_format` `json_object` or a
 *   `json_schema` without a schema, an image link other than `s3://`, an image or audio format
 *   Converse does not take, a content part in a role that cannot carry it, tool-call arguments that are
 *   not a JSON object, a `tool_choice` that requires a tool when `tools` is empty, and, when `tools`
 *   is empty, tool results that answer no tool call in the conversation (no tool name to stand in),
 *   and a `service_tier` Converse has no tier for.
 */
export function buildConverseRequest(
  request: ChatCompletionRequest,
  model = "",
): ConverseRequestBody {
  if (request.n != null && request.n > 1) {
    throw badRequest("n: Bedrock Converse returns one choice per request; n must be 1.", "n");
  }
  const { messages, system } = buildMessages(request.messages);
  const body: ConverseRequestBody = { messages };
  if (system.length > 0) body.system = system;
  const inferenceConfig = buildInferenceConfig(request);
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;
  const toolConfig = buildToolConfig(request, messages);
  if (toolConfig) body.toolConfig = toolConfig;
  const outputConfig = buildOutputConfig(request);
  if (outputConfig) body.outputConfig = outputConfig;
  applyReasoning(body, request, model);
  const serviceTier = converseServiceTier(request.service_tier);
  if (serviceTier) body.serviceTier = { type: serviceTier };
  return body;
}

/**
 * OpenAI `service_tier` → Converse `serviceTier.type`: "default", "flex" and "priority" are the
 * same tiers by the same names; "auto" (the account's own choice) sends none, so Bedrock serves at
 * its standard tier; "reserved", Bedrock's own name for provisioned capacity, is taken as Envoy AI
 * Gateway passes it. OpenAI's "scale" is a contract Bedrock has no tier for.
 * @throws TranslationError (400) for any other value.
 */
function converseServiceTier(tier: string | null | undefined): ConverseServiceTier | undefined {
  if (tier == null || tier === "auto") return undefined;
  const tiers: readonly string[] = CONVERSE_SERVICE_TIERS;
  if (tiers.includes(tier)) return tier as ConverseServiceTier;
  throw badRequest(
    `service_tier: "${tier}" has no Bedrock Converse tier; use auto, ${tiers.slice(0, -1).join(", ")} or ${tiers[tiers.length - 1]}.`,
    "service_tier",
  );
}

/** Nova's `maxReasoningEffort` levels for OpenAI efforts (Nova has low, medium and high). */
const NOVA_EFFORT: Readonly<Record<ReasoningEffort, string | undefined>> = {
  none: undefined,
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
  max: "high",
};

/**
 * `reasoning_effort` and `thinking` → `additionalModelRequestFields`, whose reasoning switch depends
 * on the model family, told from the model id (a foundation model id, an inference profile id such as
 * `us.anthropic.claude-…`, or an ARN naming one):
 * - Claude (`anthropic.`): `thinking` as Anthropic takes it: the client's own object, or one built
 *   from the effort (a budget, `THINKING_BUDGET`; `disabled` for `none`), with
 *   `inferenceConfig.maxTokens` made room for a budget the client did not bound.
 * - Amazon Nova (`amazon.nova`): `reasoningConfig: {type: "enabled", maxReasoningEffort}` for an effort
 *   other than `none` (Nova reasons only when asked to).
 * - Other models: nothing is sent, since their fields differ and an unknown one makes Converse
 *   refuse the request.
 */
function applyReasoning(body: ConverseRequestBody, request: ChatCompletionRequest, model: string) {
  const { effort, thinking } = reasoningAsk(request);
  if (effort === undefined && thinking === undefined) return;
  const id = model.toLowerCase();
  if (id.includes("anthropic.")) {
    const clientMaxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
    let maxTokens: number | undefined;
    let fields: Record<string, unknown>;
    if (thinking !== undefined) {
      fields = { thinking };
      maxTokens = maxTokensForThinking(thinking, clientMaxTokens, DEFAULT_MAX_TOKENS);
    } else {
      const mapped = anthropicThinkingFor(effort ?? "none", clientMaxTokens, DEFAULT_MAX_TOKENS);
      fields = { thinking: mapped.thinking };
      maxTokens = mapped.maxTokens;
    }
    body.additionalModelRequestFields = fields;
    if (maxTokens !== undefined) body.inferenceConfig = { ...body.inferenceConfig, maxTokens };
  } else if (id.includes("amazon.nova")) {
    const level = effort && NOVA_EFFORT[effort];
    if (level) {
      body.additionalModelRequestFields = {
        reasoningConfig: { type: "enabled", maxReasoningEffort: level },
      };
    }
  }
}

/**
 * The output allowed on top of a thinking budget when the client sets no limit, as for the
 * Anthropic API.
 */
const DEFAULT_MAX_TOKENS = 4096;

/** A checkpoint block for the client's `cache_control`. */
function cachePointOf(cacheControl: CacheControl): ConverseCachePoint {
  return {
    cachePoint: cacheControl.ttl ? { type: "default", ttl: cacheControl.ttl } : { type: "default" },
  };
}

/**
 * `blocks`, with a checkpoint after them when the client marked them: nothing marks nothing, and a
 * checkpoint already there (the message's last part was marked too) is not repeated.
 */
function withCachePoint<B extends object>(
  blocks: B[],
  cacheControl: CacheControl | null | undefined,
): (B | ConverseCachePoint)[] {
  const last = blocks.at(-1);
  if (!cacheControl || last === undefined || "cachePoint" in last) return blocks;
  const marked: (B | ConverseCachePoint)[] = blocks;
  marked.push(cachePointOf(cacheControl));
  return marked;
}

function buildMessages(messages: ChatMessage[]): {
  messages: ConverseMessage[];
  system: NonNullable<ConverseRequestBody["system"]>;
} {
  const turns: ConverseMessage[] = [];
  const system: NonNullable<ConverseRequestBody["system"]> = [];
  messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(
          ...withCachePoint(
            textBlocks(message.content, field, message.role),
            message.cache_control,
          ),
        );
        return;
      case "user":
        appendTurn(
          turns,
          "content",
          "user",
          withCachePoint(userBlocks(message.content, field), message.cache_control),
        );
        return;
      case "assistant": {
        // Reasoning goes back first, as the model gave it.
        const blocks: ConverseRequestBlock[] = thinkingBlocksOf(message).map(reasoningBlockOf);
        blocks.push(...assistantBlocks(message.content ?? [], field));
        for (const [j, call] of (message.tool_calls ?? []).entries()) {
          blocks.push(toolUseOf(call, `${field}.tool_calls[${j}]`));
        }
        appendTurn(turns, "content", "assistant", withCachePoint(blocks, message.cache_control));
        return;
      }
      case "tool":
        appendTurn(
          turns,
          "content",
          "user",
          withCachePoint<ConverseRequestBlock>(
            [
              {
                toolResult: {
                  toolUseId: message.tool_call_id,
                  content: toolResultContent(message.content, field),
                },
              },
            ],
            toolResultCacheControl(message),
          ),
        );
        return;
      default:
        throw badRequest(
          `${field}.role is not supported for Bedrock Converse backends.`,
          `${field}.role`,
        );
    }
  });
  return { messages: turns, system };
}

/** Text-only content (system, developer and assistant messages). */
function textBlocks(
  content: string | ChatContentPart[] | null,
  field: string,
  role: string,
): ({ text: string } | ConverseCachePoint)[] {
  if (content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part, j) => {
    if (part.type === "text") return textBlockOf(part.text, part.cache_control);
    throw badRequest(
      `${field}.content[${j}]: content parts of type "${part.type}" are not supported in ${role} messages for Bedrock Converse backends; only user and tool messages can carry media.`,
      `${field}.content[${j}]`,
    );
  });
}

/** An assistant message's content: text, and refusals as the text they said. */
function assistantBlocks(
  content: string | AssistantContentPart[],
  field: string,
): ConverseRequestBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part, j): ConverseRequestBlock[] => {
    const text = assistantPartText(part);
    if (text !== undefined) return textBlockOf(text, partCacheControl(part));
    // Reasoning parts went first, through thinkingBlocksOf.
    if (part.type === "thinking" || part.type === "redacted_thinking") return [];
    throw badRequest(
      `${field}.content[${j}]: content parts of type "${part.type}" are not supported in assistant messages for Bedrock Converse backends; only user and tool messages can carry media.`,
      `${field}.content[${j}]`,
    );
  });
}

/** A reasoning block sent back, as a Converse `reasoningContent` block. */
function reasoningBlockOf(block: ThinkingBlock): ConverseRequestBlock {
  if (block.type === "redacted_thinking") {
    return { reasoningContent: { redactedContent: block.data } };
  }
  return {
    reasoningContent: { reasoningText: { text: block.thinking, signature: block.signature } },
  };
}

function userBlocks(content: string | ChatContentPart[], field: string): ConverseRequestBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part, j) =>
    withCachePoint(userPartBlocks(part, `${field}.content[${j}]`), part.cache_control),
  );
}

/** A user content part's blocks, before its checkpoint; Converse rejects blank text. */
function userPartBlocks(part: ChatContentPart, partField: string): ConverseRequestBlock[] {
  switch (part.type) {
    case "text":
    case "image_url":
      return textOrImageContent(part, partField);
    case "input_audio": {
      const format = part.input_audio.format.toLowerCase();
      if (!AUDIO_FORMATS.has(format)) {
        throw badRequest(
          `${partField}.input_audio.format: "${part.input_audio.format}" is not an audio format Bedrock Converse takes; use one of ${[...AUDIO_FORMATS].join(", ")}.`,
          `${partField}.input_audio.format`,
        );
      }
      return [{ audio: { format, source: { bytes: part.input_audio.data } } }];
    }
  }
}

/** A text or image part as Converse content, in a user turn or a tool result; blank text is none. */
function textOrImageContent(
  part: Extract<ChatContentPart, { type: "text" | "image_url" }>,
  partField: string,
): ConverseToolResultContent[] {
  if (part.type === "text") return part.text === "" ? [] : [{ text: part.text }];
  return [{ image: imageOf(part.image_url.url, `${partField}.image_url.url`) }];
}

/** A text block, and its checkpoint; Converse rejects blank text, so empty text is no block. */
function textBlockOf(
  text: string,
  cacheControl: CacheControl | null | undefined,
): ({ text: string } | ConverseCachePoint)[] {
  return text === "" ? [] : withCachePoint([{ text }], cacheControl);
}

function toolResultContent(
  content: string | ChatContentPart[],
  field: string,
): ConverseToolResultContent[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part, j): ConverseToolResultContent[] => {
    const partField = `${field}.content[${j}]`;
    if (part.type === "text" || part.type === "image_url") {
      return textOrImageContent(part, partField);
    }
    throw badRequest(
      `${partField}: content parts of type "${part.type}" are not supported in tool messages for Bedrock Converse backends; a tool result can hold text and images.`,
      partField,
    );
  });
}

function imageOf(url: string, field: string): ConverseImage {
  if (url.toLowerCase().startsWith("s3://")) {
    const format = IMAGE_FORMAT[mimeTypeFromPath(url) ?? ""];
    if (!format) {
      throw badRequest(
        `${field}: the S3 object's extension must be .png, .jpg, .jpeg, .gif or .webp, so that its image format is known.`,
        field,
      );
    }
    return { format, source: { s3Location: { uri: url } } };
  }
  const media = parseMediaUrl(url);
  if (media?.kind !== "inline") {
    throw badRequest(
      `${field}: Bedrock Converse does not fetch image URLs; send the image inline as a base64 data URI (data:image/png;base64,...) or as an s3:// URI.`,
      field,
    );
  }
  const format = IMAGE_FORMAT[media.mimeType];
  if (!format) {
    throw badRequest(
      `${field}: "${media.mimeType}" is not an image format Bedrock Converse takes; use image/png, image/jpeg, image/gif or image/webp.`,
      field,
    );
  }
  return { format, source: { bytes: media.data } };
}

function toolUseOf(call: ChatToolCall, field: string): ConverseRequestBlock {
  return {
    toolUse: {
      toolUseId: call.id,
      name: call.function.name,
      input: toolCallArguments(call, field),
    },
  };
}

function buildInferenceConfig(
  request: ChatCompletionRequest,
): NonNullable<ConverseRequestBody["inferenceConfig"]> {
  const config: NonNullable<ConverseRequestBody["inferenceConfig"]> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxTokens = maxTokens;
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (stop != null && stop.length > 0) config.stopSequences = stop;
  return config;
}

/** What a stand-in tool tells the model (see `toolConfigForHistory`). */
const HISTORY_TOOL_DESCRIPTION =
  "Only present because the conversation history used this tool; it is not offered for this turn, so do not call it.";

function buildToolConfig(
  request: ChatCompletionRequest,
  messages: ConverseMessage[],
): ConverseRequestBody["toolConfig"] {
  const choice = request.tool_choice;
  const tools = request.tools ?? [];
  if (tools.length === 0) {
    if (choice === "required" || typeof choice === "object") {
      const wanted = choice === "required" ? '"required"' : "a named function";
      throw badRequest(`tool_choice: ${wanted} needs at least one tool in tools.`, "tool_choice");
    }
    return toolConfigForHistory(request, messages, []);
  }
  const toolSpecs: ConverseTool[] = tools.flatMap(tool =>
    withCachePoint<ConverseTool>(
      [
        {
          toolSpec: {
            name: tool.function.name,
            ...(tool.function.description !== undefined && {
              description: tool.function.description,
            }),
            inputSchema: { json: tool.function.parameters ?? { type: "object", properties: {} } },
          },
        },
      ],
      toolCacheControl(tool),
    ),
  );
  if (choice === "none") return toolConfigForHistory(request, messages, toolSpecs);
  if (choice === undefined) return { tools: toolSpecs };
  if (choice === "auto") return { tools: toolSpecs, toolChoice: { auto: {} } };
  if (choice === "required") return { tools: toolSpecs, toolChoice: { any: {} } };
  return { tools: toolSpecs, toolChoice: { tool: { name: choice.function.name } } };
}

/**
 * The `toolConfig` of a request that lets the model call no tool (`tool_choice: "none"`, or no
 * `tools`): none, unless the conversation holds toolUse or toolResult blocks, which Converse refuses
 * without a `toolConfig`. Then `offered` goes with no `toolChoice`, or, when no tools are offered, a
 * stand-in for each tool the conversation called: Converse wants at least one tool, and a stand-in
 * per called name keeps the model from being offered anything the client never used.
 */
function toolConfigForHistory(
  request: ChatCompletionRequest,
  messages: ConverseMessage[],
  offered: ConverseTool[],
): ConverseRequestBody["toolConfig"] {
  if (!holdsToolBlocks(messages)) return undefined;
  return { tools: offered.length > 0 ? offered : historyTools(request, messages) };
}

function holdsToolBlocks(messages: ConverseMessage[]): boolean {
  return messages.some(message =>
    message.content.some(block => "toolUse" in block || "toolResult" in block),
  );
}

/** A stand-in spec for each tool the conversation called, in the order of first call. */
function historyTools(request: ChatCompletionRequest, messages: ConverseMessage[]): ConverseTool[] {
  const names = new Set(
    messages.flatMap(message =>
      message.content.flatMap(block => ("toolUse" in block ? [block.toolUse.name] : [])),
    ),
  );
  if (names.size === 0) {
    // Only tool results, answering no call: no name to stand in for, and an empty list is invalid.
    const i = request.messages.findIndex(message => message.role === "tool");
    throw badRequest(
      `messages[${i}].tool_call_id: this tool result answers no tool call of an earlier assistant message; Bedrock Converse takes the tool's name from that call when the request sends no tools.`,
      `messages[${i}].tool_call_id`,
    );
  }
  return [...names].map(name => ({
    toolSpec: {
      name,
      description: HISTORY_TOOL_DESCRIPTION,
      inputSchema: { json: { type: "object" } },
    },
  }));
}

/** Converse structured outputs take only a JSON schema: `response_format` must carry one. */
const CONVERSE_SCHEMA_REFUSALS: SchemaOnlyRefusals = {
  jsonObject: `response_format: "json_object" is not supported for Bedrock Converse backends, which constrain output only to a JSON schema; send {"type":"json_schema","json_schema":{"name":...,"schema":{...}}} instead.`,
  missingSchema:
    "response_format.json_schema.schema is required for Bedrock Converse backends, which constrain output to the schema given.",
};

function buildOutputConfig(request: ChatCompletionRequest): ConverseRequestBody["outputConfig"] {
  const jsonSchema = requiredJsonSchemaOf(request, CONVERSE_SCHEMA_REFUSALS);
  if (jsonSchema === undefined) return undefined;
  const { name, description, schema } = jsonSchema;
  return {
    textFormat: {
      type: "json_schema",
      structure: {
        jsonSchema: {
          schema: JSON.stringify(schema),
          name,
          ...(description !== undefined && { description }),
        },
      },
    },
  };
}

// ---- Converse → OpenAI response ----

/**
 * Converse `stopReason` → OpenAI `finish_reason`. `malformed_model_output` and `malformed_tool_use`
 * have no OpenAI counterpart and, like anything unlisted, count as a normal stop.
 */
const FINISH_REASON: Readonly<Record<string, OpenAIFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

/** Maps a Converse stop reason; a missing one counts as a normal stop. */
export function mapStopReason(reason: string | null | undefined): OpenAIFinishReason {
  return (reason != null ? FINISH_REASON[reason] : undefined) ?? "stop";
}

/**
 * Sorts response blocks into answer text, reasoning text, the reasoning blocks to send back (signed
 * reasoning text, and redacted reasoning) and tool calls (input as a JSON string). Tool uses Bedrock
 * ran itself (`type: "server_tool_use"`), which the client has no result to send for, are dropped.
 */
export function sortContent(blocks: ConverseResponseBlock[] | undefined): AssistantReply {
  let content: string | null = null;
  let reasoning: string | null = null;
  const toolCalls: OpenAIToolCall[] = [];
  const thinkingBlocks: ReasoningBlock[] = [];
  for (const block of blocks ?? []) {
    if (block.text !== undefined) content = (content ?? "") + block.text;
    else if (block.reasoningContent?.reasoningText?.text !== undefined) {
      const { text, signature } = block.reasoningContent.reasoningText;
      reasoning = (reasoning ?? "") + text;
      // Reasoning without a signature (e.g. DeepSeek's) cannot be verified, so is not sent back.
      if (signature) thinkingBlocks.push({ type: "thinking", thinking: text, signature });
    } else if (block.reasoningContent?.redactedContent !== undefined) {
      thinkingBlocks.push({
        type: "redacted_thinking",
        data: block.reasoningContent.redactedContent,
      });
    } else if (block.toolUse && !isServerToolUse(block.toolUse)) {
      toolCalls.push({
        id: block.toolUse.toolUseId ?? "",
        type: "function",
        function: {
          name: block.toolUse.name ?? "",
          arguments: JSON.stringify(block.toolUse.input ?? {}),
        },
      });
    }
  }
  return { content, reasoning, toolCalls, thinkingBlocks };
}

/** A tool use Bedrock executed on its side, not a call for the client to answer. */
export function isServerToolUse(toolUse: { type?: string }): boolean {
  return toolUse.type === "server_tool_use";
}

/** Converse usage → OpenAI usage: OpenAI's input tokens include cache reads and writes. */
export function usageFromConverse(usage: ConverseUsage | undefined): TokenUsage {
  return usageWithCachedInput({
    input: usage?.inputTokens ?? 0,
    cacheRead: usage?.cacheReadInputTokens ?? 0,
    cacheWrite: usage?.cacheWriteInputTokens ?? 0,
    output: usage?.outputTokens ?? 0,
  });
}

// ---- Errors ----

/**
 * Bedrock runtime exceptions → the HTTP status and OpenAI error type a client expects. Where
 * Bedrock's own status would mislead an OpenAI client, it is changed: a model timeout (Bedrock 408,
 * which means the client was slow) becomes 504; a model that is not ready (429) becomes 503, since it
 * is no rate limit; a model error (424) becomes 502; a spent service quota (400) becomes OpenAI's
 * 429 `insufficient_quota`; AWS rejecting the gateway's credentials becomes 401. An unknown exception
 * keeps the HTTP status (502 for a non-error one).
 */
const BEDROCK_ERRORS: ProviderErrorRules = {
  table: {
    ValidationException: { status: 400, type: "invalid_request_error" },
    AccessDeniedException: { status: 403, type: "permission_error" },
    UnrecognizedClientException: { status: 401, type: "authentication_error" },
    InvalidSignatureException: { status: 401, type: "authentication_error" },
    IncompleteSignatureException: { status: 401, type: "authentication_error" },
    MissingAuthenticationTokenException: { status: 401, type: "authentication_error" },
    ExpiredTokenException: { status: 401, type: "authentication_error" },
    ResourceNotFoundException: { status: 404, type: "not_found_error" },
    ThrottlingException: { status: 429, type: "rate_limit_error" },
    ServiceQuotaExceededException: { status: 429, type: "insufficient_quota" },
    ModelTimeoutException: { status: 504, type: "api_error" },
    ModelNotReadyException: { status: 503, type: "api_error" },
    ModelErrorException: { status: 502, type: "api_error" },
    ModelStreamErrorException: { status: 502, type: "api_error" },
    ServiceUnavailableException: { status: 503, type: "api_error" },
    InternalServerException: { status: 500, type: "api_error" },
  },
  fallbackStatus: httpStatus => (httpStatus >= 400 ? httpStatus : 502),
  read: readBedrockError,
};

const EXCEPTION_BY_LOWER_NAME = new Map(
  Object.keys(BEDROCK_ERRORS.table).map(name => [name.toLowerCase(), name]),
);

/**
 * Reads a Bedrock HTTP error: the exception name from the `x-amzn-errortype` header
 * (`ValidationException:http://internal.amazon.com/...`) or the body's `__type`, the message from the
 * body's `message` (or `Message`), falling back to the raw text. The exception name, spelled as the
 * HTTP API does, is kept as the OpenAI `code`.
 */
export const mapBedrockError: HttpErrorMapper = providerErrorMapper(BEDROCK_ERRORS);

/**
 * Maps a Bedrock exception name (a stream frame's `:exception-type`, which spells it in camelCase, or
 * the HTTP API's name) and message to OpenAI terms, as for an HTTP error with `httpStatus`. The
 * exception name, spelled as the HTTP API does, is kept as the OpenAI `code`.
 */
export function mapBedrockException(
  name: string | undefined,
  message: string,
  httpStatus: number,
): MappedError {
  return mapProviderError(
    BEDROCK_ERRORS,
    httpStatus,
    { name: canonicalExceptionName(name), message },
    "",
  );
}

/** An exception name as the HTTP API spells it (`throttlingException` → `ThrottlingException`). */
function canonicalExceptionName(name: string | undefined): string | undefined {
  return name ? (EXCEPTION_BY_LOWER_NAME.get(name.toLowerCase()) ?? name) : undefined;
}

function readBedrockError(bodyText: string, headers: Record<string, string>): ProviderError {
  const body = parseErrorBody(bodyText);
  const name = nameOf(headers["x-amzn-errortype"]) ?? nameOf(body?.__type);
  return { name: canonicalExceptionName(name), message: body?.message ?? body?.Message };
}

/** `ValidationException:http://…` or `com.amazon.coral.service#ValidationException` → the name. */
function nameOf(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const name = value.split(":", 1)[0];
  return name.slice(name.lastIndexOf("#") + 1) || undefined;
}

function parseErrorBody(text: string): BedrockErrorBody | undefined {
  const value = parseJsonObject(text);
  if (!value) return undefined;
  const { message, Message, __type } = value;
  return {
    ...(typeof message === "string" && { message }),
    ...(typeof Message === "string" && { Message }),
    ...(typeof __type === "string" && { __type }),
  };
}
