/**
 * OpenAI chat completions ⇄ Gemini `generateContent`, as Vertex AI serves it. The request side builds
 * the REST body; the response side turns one `GenerateContentResponse` (a whole response, or one SSE
 * event of a stream) into OpenAI choices and usage. Pure functions; the wire shapes live in
 * `gemini-types.ts`, the stream state in `gemini-stream.ts` and the factory in `openai-gcpvertexai.ts`.
 */
import { badRequest, type MappedError, type TranslationError } from "./errors";
import type {
  GeminiCandidate,
  GeminiLogprobsResult,
  GeminiThinkingConfig,
  GeminiThinkingLevel,
  GeminiTokenLogprob,
  GeminiContent,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRequest,
  GeminiUsageMetadata,
  GoogleErrorBody,
} from "./gemini-types";
import type { TokenUsage } from "./types";
import type { OpenAIFinishReason } from "./shared/chat-completion";
import { toGeminiSchema } from "./gemini-schema";
import { parseMediaUrl } from "./shared/media-url";
import { geminiVendorFieldsOf, type GeminiVendorFields } from "./gemini-vendor-fields";
import {
  openAITopLogprob,
  type OpenAIChoiceLogprobs,
  type OpenAITokenLogprob,
} from "./shared/logprobs";
import type {
  AssistantContentPart,
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  ThinkingBlock,
} from "./shared/openai-chat";
import {
  reasoningAsk,
  thinkingBlocksOf,
  type ReasoningBlock,
  type ReasoningEffort,
} from "./shared/reasoning";
import {
  coarseErrorType,
  type HttpErrorMapper,
  providerErrorMapper,
  type ProviderError,
  type ProviderErrorRules,
} from "./shared/provider-errors";
import {
  appendTurn,
  assistantPartText,
  parseToolJson,
  textOf,
  toolCallArguments,
} from "./shared/provider-messages";

// ---- OpenAI → Gemini request ----

/**
 * Builds the Gemini request body from a validated OpenAI chat request.
 * @throws TranslationError (400) naming the field when something cannot be expressed for Gemini:
 *   an unsupported content part, an image link with an unknown extension, tool-call arguments that
 *   are not JSON, or a `tool` message whose `tool_call_id` no earlier assistant message issued.
 */
export function buildGeminiRequest(request: ChatCompletionRequest, model: string): GeminiRequest {
  const version = geminiVersionOf(model);
  const signsToolCalls = generationOf(version) >= 3;
  const { contents, systemParts } = buildContents(request.messages, signsToolCalls);
  const body: GeminiRequest = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  const tools = buildTools(request);
  if (tools) body.tools = tools;
  const toolConfig = buildToolConfig(request);
  if (toolConfig) body.toolConfig = toolConfig;
  const vendor = geminiVendorFieldsOf(request);
  if (vendor.safetySettings) body.safetySettings = vendor.safetySettings;
  const generationConfig = buildGenerationConfig(request, version);
  const thinkingConfig = mergeThinkingConfig(
    buildThinkingConfig(request, version),
    vendor.generationConfig?.thinkingConfig,
  );
  if (thinkingConfig) generationConfig.thinkingConfig = thinkingConfig;
  if (vendor.generationConfig)
    applyVendorGenerationConfig(generationConfig, vendor.generationConfig);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return body;
}

/**
 * The request's own `generationConfig` keys over the config built from OpenAI fields: its values
 * win (`thinkingConfig` is merged apart, in `mergeThinkingConfig`).
 */
function applyVendorGenerationConfig(
  config: GeminiGenerationConfig,
  vendor: NonNullable<GeminiVendorFields["generationConfig"]>,
): void {
  const mediaResolution = vendor.mediaResolution ?? vendor.media_resolution;
  if (mediaResolution !== undefined) config.mediaResolution = mediaResolution;
  if (vendor.topK !== undefined) config.topK = vendor.topK;
}

/**
 * A `thinkingConfig` from the request's `generationConfig` over the one derived from
 * `reasoning_effort` or `thinking`: its keys win, and a budget or level it sets replaces the derived
 * one of either kind, as Gemini takes only one of the two.
 */
function mergeThinkingConfig(
  derived: GeminiThinkingConfig | undefined,
  vendor: GeminiThinkingConfig | undefined,
): GeminiThinkingConfig | undefined {
  if (vendor === undefined) return derived;
  if (derived === undefined) return vendor;
  const merged = { ...derived };
  if (vendor.thinkingBudget !== undefined || vendor.thinkingLevel !== undefined) {
    delete merged.thinkingBudget;
    delete merged.thinkingLevel;
  }
  return Object.assign(merged, vendor);
}

/** A Gemini model's version, as its id spells it (`gemini-2.5-flash` → 2.5). */
export interface GeminiVersion {
  major: number;
  minor: number;
}

/**
 * The version a Gemini model id names (`gemini-2.5-flash`, `gemini-3-pro-preview`, or a resource
 * path ending in one); undefined for an id that does not say (a tuned model's endpoint, an alias).
 * `buildGeminiRequest` reads it once and hands it to each part of the body that depends on it.
 */
export function geminiVersionOf(model: string): GeminiVersion | undefined {
  const match = /(?:^|[/-])gemini-(\d+)(?:\.(\d+))?/.exec(model);
  return match ? { major: Number(match[1]), minor: Number(match[2] ?? 0) } : undefined;
}

/** The major version of a Gemini model; 0 when its id does not say. */
function generationOf(version: GeminiVersion | undefined): number {
  return version?.major ?? 0;
}

/**
 * Whether a Gemini model takes `generationConfig.responseJsonSchema` (full JSON Schema): Gemini 2.5
 * and later, where Google introduced it; earlier models (1.5, 2.0) take only `responseSchema`, the
 * OpenAPI subset. A model id that names no version (a tuned model's endpoint, an alias) is taken to
 * be a current model.
 */
export function acceptsResponseJsonSchema(version: GeminiVersion | undefined): boolean {
  if (version === undefined) return true;
  return version.major > 2 || (version.major === 2 && version.minor >= 5);
}

/**
 * What Vertex AI takes in place of a thought signature on a function call whose signature is not
 * known: Gemini 3 rejects a replayed model turn whose first function call has none ("Function call
 * is missing a thought_signature"), and a client that replays history through an OpenAI SDK often
 * drops it. Documented in "Thought signatures", section "Using REST or manual handling"
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures); the Gemini API docs'
 * FAQ on the same page lists it too. The value is not in the @google/genai package to check against.
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

function buildContents(
  messages: ChatMessage[],
  signsToolCalls: boolean,
): {
  contents: GeminiContent[];
  systemParts: GeminiPart[];
} {
  const contents: GeminiContent[] = [];
  const systemParts: GeminiPart[] = [];
  // Gemini's functionResponse needs the function name; OpenAI tool messages only carry the id.
  const functionNameByCallId = new Map<string, string>();
  messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        systemParts.push(...textParts(message.content, field));
        return;
      case "user":
        appendTurn(contents, "parts", "user", userParts(message.content, field));
        return;
      case "assistant": {
        // Signed thoughts go back first, as Gemini gave them.
        const parts = thinkingBlocksOf(message).flatMap(thoughtPartOf);
        parts.push(...assistantParts(message.content ?? [], field));
        const calls = message.tool_calls ?? [];
        // Gemini signs only the first of parallel calls; that one must carry a signature.
        const placeholder = signsToolCalls && !calls.some(call => thoughtSignatureOf(call));
        for (const [j, call] of calls.entries()) {
          functionNameByCallId.set(call.id, call.function.name);
          const signature = j === 0 && placeholder ? SKIP_THOUGHT_SIGNATURE : undefined;
          parts.push(functionCallPart(call, `${field}.tool_calls[${j}]`, signature));
        }
        appendTurn(contents, "parts", "model", parts);
        return;
      }
      case "tool": {
        const name = functionNameByCallId.get(message.tool_call_id);
        if (name === undefined) {
          throw badRequest(
            `${field}.tool_call_id: "${message.tool_call_id}" does not match a tool call of an earlier assistant message; Gemini needs the function name it answers.`,
            `${field}.tool_call_id`,
          );
        }
        const output = textOf(message.content);
        appendTurn(contents, "parts", "user", [
          { functionResponse: { name, response: functionResponseOf(output) } },
        ]);
        return;
      }
      default:
        throw badRequest(`${field}.role is not supported for Gemini backends.`, `${field}.role`);
    }
  });
  return { contents, systemParts };
}

function textParts(content: string | ChatContentPart[] | null, field: string): GeminiPart[] {
  if (content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.map((part, j) => {
    if (part.type === "text") return { text: part.text };
    throw unsupportedPart(part.type, `${field}.content[${j}]`);
  });
}

/** An assistant message's content: text, and refusals as the text they said. */
function assistantParts(content: string | AssistantContentPart[], field: string): GeminiPart[] {
  if (typeof content === "string") return textParts(content, field);
  return content.flatMap((part, j): GeminiPart[] => {
    const text = assistantPartText(part);
    if (text !== undefined) return [{ text }];
    // Reasoning parts went first, through thinkingBlocksOf.
    if (part.type === "thinking" || part.type === "redacted_thinking") return [];
    throw unsupportedPart(part.type, `${field}.content[${j}]`);
  });
}

/** A signed reasoning block sent back, as a thought part; Gemini has no redacted reasoning. */
function thoughtPartOf(block: ThinkingBlock): GeminiPart[] {
  if (block.type !== "thinking") return [];
  return [{ text: block.thinking, thought: true, thoughtSignature: block.signature }];
}

function userParts(content: string | ChatContentPart[], field: string): GeminiPart[] {
  if (typeof content === "string") return textParts(content, field);
  return content.map((part, j): GeminiPart => {
    const partField = `${field}.content[${j}]`;
    if (part.type === "text") return { text: part.text };
    if (part.type === "image_url")
      return mediaPart(part.image_url.url, `${partField}.image_url.url`);
    throw unsupportedPart(part.type, partField);
  });
}

function mediaPart(url: string, field: string): GeminiPart {
  const media = parseMediaUrl(url);
  if (media === undefined) {
    throw badRequest(`${field} must be a base64 data URI or an https, http or gs URL.`, field);
  }
  if (media.kind === "inline")
    return { inlineData: { mimeType: media.mimeType, data: media.data } };
  if (media.mimeType === undefined) {
    throw badRequest(
      `${field}: cannot tell the media type of "${media.url}" from its extension; Gemini needs one. Use a URL ending in a known extension (e.g. .png, .jpg, .pdf) or a data URI.`,
      field,
    );
  }
  return { fileData: { mimeType: media.mimeType, fileUri: media.url } };
}

function functionCallPart(call: ChatToolCall, field: string, placeholder?: string): GeminiPart {
  const args = toolCallArguments(call, field);
  const signature = thoughtSignatureOf(call) ?? placeholder;
  return {
    functionCall: { name: call.function.name, args },
    ...(signature !== undefined && { thoughtSignature: signature }),
  };
}

/**
 * Gemini signs the reasoning behind a function call and wants the signature back with the call in
 * the next turn (Gemini 3 rejects the turn without it). OpenAI has no field for it, so it travels
 * the way Google's own OpenAI-compatible API sends it: `extra_content.google.thought_signature` on
 * the tool call, which clients echo back with the assistant message.
 */
function thoughtSignatureOf(call: ChatToolCall): string | undefined {
  const extra = (call as { extra_content?: { google?: { thought_signature?: unknown } } })
    .extra_content;
  const signature = extra?.google?.thought_signature;
  return typeof signature === "string" ? signature : undefined;
}

/** An OpenAI tool call for a Gemini function call, carrying its thought signature if it has one. */
export function openAIToolCallOf(call: SortedFunctionCall, id: string) {
  return {
    id,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
    ...(call.thoughtSignature !== undefined && {
      extra_content: { google: { thought_signature: call.thoughtSignature } },
    }),
  };
}

/**
 * Gemini wants the function's result as an object. A tool that returned a JSON object is passed as
 * is; anything else is wrapped as `{output: "<text>"}`, the key Google's docs use for results.
 */
function functionResponseOf(output: string): Record<string, unknown> {
  return parseToolJson(output) ?? { output };
}

function buildTools(request: ChatCompletionRequest): GeminiRequest["tools"] {
  if (!request.tools || request.tools.length === 0) return undefined;
  const functionDeclarations = request.tools.map(tool => ({
    name: tool.function.name,
    ...(tool.function.description !== undefined && { description: tool.function.description }),
    // parametersJsonSchema takes full JSON Schema, so the OpenAI schema needs no rewriting.
    ...(tool.function.parameters !== undefined && {
      parametersJsonSchema: tool.function.parameters,
    }),
  }));
  return [{ functionDeclarations }];
}

/** OpenAI `tool_choice` strings → Gemini function-calling modes. */
const FUNCTION_CALLING_MODE = { auto: "AUTO", none: "NONE", required: "ANY" } as const;

function buildToolConfig(request: ChatCompletionRequest): GeminiRequest["toolConfig"] {
  const choice = request.tool_choice;
  if (choice === undefined) return undefined;
  if (typeof choice === "string") {
    return { functionCallingConfig: { mode: FUNCTION_CALLING_MODE[choice] } };
  }
  return {
    functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] },
  };
}

function buildGenerationConfig(
  request: ChatCompletionRequest,
  version: GeminiVersion | undefined,
): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null) {
    config.stopSequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  }
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  if (request.seed != null) config.seed = request.seed;
  if (request.n != null) config.candidateCount = request.n;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  applyLogprobs(request, config);
  const format = request.response_format;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    const schema = format.json_schema.schema;
    if (schema !== undefined && acceptsResponseJsonSchema(version)) {
      config.responseJsonSchema = schema;
    } else if (schema !== undefined) {
      // Before 2.5, Gemini also orders properties alphabetically unless told the schema's order.
      config.responseSchema = toGeminiSchema(schema);
    }
  }
  return config;
}

/** The most alternatives per token Vertex AI returns (`generationConfig.logprobs` takes 1–20). */
const MAX_TOP_LOGPROBS = 20;

/**
 * `logprobs: true` → `responseLogprobs`, and `top_logprobs: N` → `logprobs: N` (0 asks for no
 * alternatives, which is Gemini's default). As in OpenAI's API, alternatives need `logprobs: true`.
 * @throws TranslationError (400) for `top_logprobs` without `logprobs: true`, or above 20.
 */
function applyLogprobs(request: ChatCompletionRequest, config: GeminiGenerationConfig): void {
  const top = request.top_logprobs ?? undefined;
  if (top !== undefined) {
    if (request.logprobs !== true) {
      throw badRequest(
        "top_logprobs: set logprobs to true as well; Gemini returns alternatives only with the chosen tokens' log probabilities.",
        "top_logprobs",
      );
    }
    if (top < 0 || top > MAX_TOP_LOGPROBS) {
      throw badRequest(
        `top_logprobs: ${top} is out of range; Gemini returns 0 to ${MAX_TOP_LOGPROBS} alternatives per token.`,
        "top_logprobs",
      );
    }
  }
  if (request.logprobs !== true) return;
  config.responseLogprobs = true;
  if (top) config.logprobs = top;
}

/** Gemini 3 thinking levels for OpenAI efforts (Gemini 3 cannot stop thinking: `none` is minimal). */
const THINKING_LEVEL: Readonly<Record<ReasoningEffort, GeminiThinkingLevel>> = {
  none: "MINIMAL",
  minimal: "MINIMAL",
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  xhigh: "HIGH",
  max: "HIGH",
};

/**
 * Gemini 2.5 thinking budgets for OpenAI efforts, as Google's own OpenAI-compatible API maps them
 * (`none` turns thinking off where the model allows it; 512 is the smallest budget every 2.5 model
 * takes).
 */
const THINKING_BUDGET: Readonly<Record<ReasoningEffort, number>> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
  max: 24576,
};

/**
 * `reasoning_effort` and `thinking` → `thinkingConfig`. An effort becomes a `thinkingLevel` for
 * Gemini 3 and later and a `thinkingBudget` before; an Anthropic-style `thinking` object becomes a
 * budget for every model (its `budget_tokens`; -1, Gemini's own choice, for `adaptive`; 0 for
 * `disabled`) and wins over an effort. Thoughts are asked for (`includeThoughts`) whenever thinking
 * is on, so that they come back as `reasoning_content`.
 */
function buildThinkingConfig(
  request: ChatCompletionRequest,
  version: GeminiVersion | undefined,
): GeminiThinkingConfig | undefined {
  const { effort, thinking } = reasoningAsk(request);
  if (thinking !== undefined) {
    if (thinking.type === "disabled") return { thinkingBudget: 0 };
    const budget = thinking.type === "enabled" ? (thinking.budget_tokens ?? -1) : -1;
    return { includeThoughts: true, thinkingBudget: budget };
  }
  if (effort === undefined) return undefined;
  const includeThoughts = effort !== "none";
  return generationOf(version) >= 3
    ? { includeThoughts, thinkingLevel: THINKING_LEVEL[effort] }
    : { includeThoughts, thinkingBudget: THINKING_BUDGET[effort] };
}

// ---- Gemini → OpenAI response ----

/** Gemini `finishReason` → OpenAI `finish_reason`; anything unlisted counts as a normal stop. */
const FINISH_REASON: Readonly<Record<string, OpenAIFinishReason>> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  OTHER: "stop",
};

/**
 * Finish reasons that say the model's function call could not be used. OpenAI has no finish reason
 * for that, and `stop` would leave the client waiting for a call that never comes, so the answer
 * becomes an error (see `failedToolCallError`).
 */
const FAILED_TOOL_CALL: Readonly<Record<string, string>> = {
  MALFORMED_FUNCTION_CALL: "a function call that is not valid",
  UNEXPECTED_TOOL_CALL: "a tool call when no tool was enabled",
};

/**
 * The error for a candidate that ended with a failed function call, or undefined: a 502 (the model,
 * not the request, went wrong, and a retry may succeed), with Gemini's finish reason as the `code`
 * and its `finishMessage`, which names the call, in the message.
 */
export function failedToolCallError(candidate: GeminiCandidate): MappedError | undefined {
  const reason = candidate.finishReason;
  const what = reason === undefined ? undefined : FAILED_TOOL_CALL[reason];
  if (what === undefined) return undefined;
  const detail = candidate.finishMessage ? ` (${candidate.finishMessage})` : "";
  return {
    status: 502,
    type: "api_error",
    code: reason ?? null,
    message: `Gemini generated ${what} and stopped with finishReason ${reason}${detail}; retry the request, or check the tool definitions and tool_choice.`,
  };
}

/**
 * Maps a Gemini finish reason. A turn that called functions ends with STOP in Gemini, but OpenAI
 * clients wait for `tool_calls` before running the tools.
 */
export function mapFinishReason(reason: string, calledTools: boolean): OpenAIFinishReason {
  const mapped = FINISH_REASON[reason] ?? "stop";
  return mapped === "stop" && calledTools ? "tool_calls" : mapped;
}

/** A Gemini function call, with its arguments as the JSON text OpenAI carries. */
export interface SortedFunctionCall {
  name: string;
  arguments: string;
  thoughtSignature?: string;
}

/** What a list of Gemini parts says, sorted into the OpenAI message fields. */
export interface SortedParts {
  content: string;
  reasoning: string;
  functionCalls: SortedFunctionCall[];
  /** A signature on a part other than a function call, with the thought text it closes. */
  thinkingBlocks: ReasoningBlock[];
}

/** The shared empty block list; frozen, so that a push into it fails loudly. */
const NO_BLOCKS = Object.freeze([]) as unknown as ReasoningBlock[];

/** Thought text not yet closed by a signature (a stream carries it from event to event). */
export interface PendingThought {
  text: string;
}

/**
 * Splits parts into answer text, reasoning (`thought: true`) and function calls. A signature on a
 * function call stays with the call; one on another part becomes a reasoning block holding the
 * thought text since the last such signature (`pending`), which goes back as a thought part.
 */
export function sortParts(
  parts: GeminiPart[] | undefined,
  pending: PendingThought = { text: "" },
): SortedParts {
  // Most parts carry no signature: the block list is only allocated for one that does.
  const sorted: SortedParts = {
    content: "",
    reasoning: "",
    functionCalls: [],
    thinkingBlocks: NO_BLOCKS,
  };
  for (const part of parts ?? []) {
    if (part.functionCall) {
      sorted.functionCalls.push({
        name: part.functionCall.name,
        arguments: JSON.stringify(part.functionCall.args ?? {}),
        ...(part.thoughtSignature !== undefined && { thoughtSignature: part.thoughtSignature }),
      });
      continue;
    }
    if (typeof part.text === "string") {
      if (part.thought) {
        sorted.reasoning += part.text;
        pending.text += part.text;
      } else sorted.content += part.text;
    }
    if (part.thoughtSignature !== undefined) {
      const block = { type: "thinking" as const, thinking: pending.text };
      if (sorted.thinkingBlocks === NO_BLOCKS) sorted.thinkingBlocks = [];
      sorted.thinkingBlocks.push({ ...block, signature: part.thoughtSignature });
      pending.text = "";
    }
  }
  return sorted;
}

/**
 * A candidate's `logprobsResult` → OpenAI `logprobs`: each chosen token with its log probability,
 * UTF-8 bytes and the step's top alternatives; null when Gemini sent none.
 */
export function openAILogprobsOf(
  result: GeminiLogprobsResult | undefined,
): OpenAIChoiceLogprobs | null {
  const chosen = result?.chosenCandidates;
  if (chosen === undefined) return null;
  const steps = result?.topCandidates ?? [];
  const content = chosen.map((token, i): OpenAITokenLogprob => {
    const top = steps[i]?.candidates ?? [];
    return { ...topLogprobOf(token), top_logprobs: top.map(topLogprobOf) };
  });
  return { content, refusal: null };
}

function topLogprobOf(token: GeminiTokenLogprob) {
  return openAITopLogprob(token.token ?? "", token.logProbability ?? 0);
}

/** Gemini usage → OpenAI usage: thoughts count as completion tokens, as OpenAI counts reasoning. */
export function usageFromGemini(metadata: GeminiUsageMetadata | undefined): TokenUsage {
  const inputTokens = metadata?.promptTokenCount ?? 0;
  const reasoningTokens = metadata?.thoughtsTokenCount ?? 0;
  const outputTokens = (metadata?.candidatesTokenCount ?? 0) + reasoningTokens;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    cachedInputTokens: metadata?.cachedContentTokenCount ?? 0,
    // Gemini's context caches are created through their own API, never by a generate call.
    cacheCreationInputTokens: 0,
    reasoningTokens,
  };
}

// ---- Errors ----

/**
 * Google RPC status → the HTTP status and OpenAI error type a client expects. An unknown status
 * keeps the HTTP status (500 for a non-error one).
 */
const GOOGLE_ERRORS: ProviderErrorRules = {
  table: {
    INVALID_ARGUMENT: { status: 400, type: "invalid_request_error" },
    FAILED_PRECONDITION: { status: 400, type: "invalid_request_error" },
    OUT_OF_RANGE: { status: 400, type: "invalid_request_error" },
    UNAUTHENTICATED: { status: 401, type: "authentication_error" },
    PERMISSION_DENIED: { status: 403, type: "permission_error" },
    NOT_FOUND: { status: 404, type: "not_found_error" },
    RESOURCE_EXHAUSTED: { status: 429, type: "rate_limit_error" },
    CANCELLED: { status: 499, type: "api_error" },
    INTERNAL: { status: 500, type: "api_error" },
    UNKNOWN: { status: 500, type: "api_error" },
    UNAVAILABLE: { status: 503, type: "api_error" },
    DEADLINE_EXCEEDED: { status: 504, type: "api_error" },
  },
  fallbackStatus: httpStatus => (httpStatus >= 400 ? httpStatus : 500),
  fallbackType: coarseErrorType,
  read: readGoogleError,
};

/**
 * Reads a Google error body (`{error:{code,message,status}}`), falling back to the raw text when the
 * body is not one. The HTTP status is kept unless the RPC status names a more precise one; the RPC
 * status is kept as the OpenAI `code`.
 */
export const mapGoogleError: HttpErrorMapper = providerErrorMapper(GOOGLE_ERRORS);

/** The RPC status and message a Google error body holds, or undefined if the text is not one. */
function readGoogleError(text: string): ProviderError | undefined {
  const parsed = parseGoogleError(text);
  return parsed && { name: parsed.error.status, message: parsed.error.message };
}

/** Parses a Google error body, or undefined if the text is not one. */
function parseGoogleError(text: string): GoogleErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    // Some Google front ends wrap the error in a one-element array.
    const candidate = Array.isArray(value) ? value[0] : value;
    if (typeof candidate === "object" && candidate !== null && "error" in candidate) {
      const error = (candidate as { error: unknown }).error;
      if (typeof error === "object" && error !== null) return candidate as GoogleErrorBody;
    }
  } catch {
    // Not JSON: the caller reports the raw text.
  }
  return undefined;
}

function unsupportedPart(type: string, field: string): TranslationError {
  return badRequest(
    `${field}: content parts of type "${type}" are not supported for Gemini backends.`,
    field,
  );
}
