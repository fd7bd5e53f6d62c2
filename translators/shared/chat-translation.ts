/**
 * The glue every OpenAI-chat → provider translator in this folder needs around its provider mapping:
 * validating the client body, applying the model override, shaping complete JSON and error responses,
 * and running a provider's SSE stream through a stream state into OpenAI chunk bytes.
 */
import { TranslationError, openAIErrorBody } from "../errors";
import type {
  BackendTarget,
  ClientResponse,
  HeaderMutation,
  StreamTranslator,
  TokenUsage,
  TranslatorDeps,
} from "../types";
import { chatCompletionRequestSchema, type ChatCompletionRequest } from "./openai-chat";
import { SseChunkEmitter, type ChunkEmitter, type StreamError } from "./chunk-emitter";
import { createSseReader } from "./sse";

/** What the response side needs to remember about the request. */
export interface RequestFacts {
  /** The model the client asked for; responses report it. */
  requestedModel: string;
  /** The model sent upstream (after `modelNameOverride`). */
  upstreamModel: string;
  stream: boolean;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
}

/**
 * Validates an OpenAI chat body and works out the models and streaming flags.
 * @throws TranslationError (400) naming the first invalid field.
 */
export function parseChatRequest(
  body: unknown,
  backend: BackendTarget,
): { request: ChatCompletionRequest; facts: RequestFacts } {
  const result = chatCompletionRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue.path.map(String).join(".");
    throw new TranslationError(400, `${param || "body"}: ${issue.message}`, {
      type: "invalid_request_error",
      param: param || null,
      code: null,
    });
  }
  const request = result.data;
  return {
    request,
    facts: {
      requestedModel: request.model,
      upstreamModel: backend.modelNameOverride ?? request.model,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
    },
  };
}

const encoder = new TextEncoder();
const NO_USAGE: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
};

/** A complete `application/json` client response. */
export function jsonResponse(body: unknown, usage: TokenUsage): ClientResponse {
  return {
    status: 200,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body: encoder.encode(JSON.stringify(body)),
    usage,
  };
}

/** An OpenAI error response for an upstream error already mapped to OpenAI terms. */
export function errorResponse(error: StreamError & { status: number }): ClientResponse {
  return {
    status: error.status,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body: encoder.encode(
      JSON.stringify(
        openAIErrorBody(error.message, { type: error.type, param: null, code: error.code }),
      ),
    ),
    usage: NO_USAGE,
  };
}

/**
 * Parses a 2xx upstream body. A body that is not JSON becomes a 502 the client can read, rather than
 * an exception in the data path.
 */
export function parseUpstreamJson<T>(
  text: string,
): { ok: true; value: T } | { ok: false; response: ClientResponse } {
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch {
    return {
      ok: false,
      response: errorResponse({
        status: 502,
        type: "api_error",
        message: "the upstream response body is not valid JSON",
        code: null,
      }),
    };
  }
}

/** A provider stream state, seen from the stream translator: one SSE event at a time. */
export interface ProviderStreamState {
  /** Handles one SSE event; `event` is the SSE event name, when the provider sends one. */
  onEvent(data: string, event: string | undefined): void;
  usage(): TokenUsage;
}

/** The headers of every OpenAI chunk stream. */
const STREAM_HEADERS: HeaderMutation = {
  set: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  remove: ["content-length"],
};

/**
 * Runs a provider's SSE stream (any byte split, UTF-8 safe) through a stream state and returns the
 * OpenAI chunk bytes. A provider event that is not JSON ends the stream with an OpenAI error event
 * rather than throwing, because the client already has a 200 and its headers.
 */
export function createChatStreamTranslator(
  facts: RequestFacts,
  deps: TranslatorDeps,
  createState: (emitter: ChunkEmitter) => ProviderStreamState,
): StreamTranslator {
  const emitter = new SseChunkEmitter({
    model: facts.requestedModel,
    created: deps.nowSeconds(),
    fallbackId: deps.newId(),
    includeUsage: facts.includeUsage,
  });
  const state = createState(emitter);
  let broken = false;
  const reader = createSseReader(({ data, event }) => {
    if (broken) return;
    try {
      state.onEvent(data, event);
    } catch (error) {
      broken = true;
      emitter.error({
        type: "api_error",
        message: `could not read the upstream stream event: ${(error as Error).message}`,
        code: null,
      });
    }
  });
  return {
    headers: STREAM_HEADERS,
    push(chunk) {
      reader.push(chunk);
      return emitter.drain();
    },
    end() {
      reader.end();
      return emitter.finish(state.usage());
    },
    usage: () => state.usage(),
  };
}
