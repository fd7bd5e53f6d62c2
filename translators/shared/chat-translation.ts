/**
 * The glue every OpenAI-chat → provider translator in this folder needs around its provider mapping:
 * validating the client body, applying the model override, shaping complete JSON and error responses,
 * and running a provider's stream (SSE, or any framing a reader supplies) through a stream state into
 * OpenAI chunk bytes.
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
import { jsonBytes } from "./json-bytes";
import { createSseReader, type SseEvent } from "./sse";

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
    body: jsonBytes(body),
    usage,
  };
}

/** An OpenAI error response for an upstream error already mapped to OpenAI terms. */
export function errorResponse(error: StreamError & { status: number }): ClientResponse {
  return {
    status: error.status,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body: jsonBytes(
      openAIErrorBody(error.message, { type: error.type, param: null, code: error.code }),
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

/**
 * Reads one provider's stream framing (SSE lines, AWS event-stream frames, …) from byte chunks split
 * anywhere, and calls back once per whole event. `push` and `end` throw when the bytes cannot be
 * framed (a checksum mismatch, a stream that ends inside a frame); the message says what was wrong.
 */
export interface StreamEventReader {
  push(chunk: Uint8Array): void;
  end(): void;
}

/** A provider stream state for framed events of type `E`, seen from the stream translator. */
export interface FramedStreamState<E> {
  /** Handles one whole event. */
  onEvent(event: E): void;
  /**
   * Called once after the last event when the stream was read without error, before the usage chunk
   * and `[DONE]`: the place to report a stream that stopped short.
   */
  end?(): void;
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
  return createFramedStreamTranslator<SseEvent>(facts, deps, createSseReader, emitter => {
    const state = createState(emitter);
    return { onEvent: ({ data, event }) => state.onEvent(data, event), usage: () => state.usage() };
  });
}

/**
 * Runs a provider's stream, framed by `createReader` (SSE, AWS event stream, …), through a stream
 * state and returns the OpenAI chunk bytes. Bytes the reader cannot frame, and events the state
 * cannot read, end the stream with an OpenAI error event rather than throwing, because the client
 * already has a 200 and its headers; nothing upstream is read after that.
 */
export function createFramedStreamTranslator<E>(
  facts: RequestFacts,
  deps: TranslatorDeps,
  createReader: (onEvent: (event: E) => void) => StreamEventReader,
  createState: (emitter: ChunkEmitter) => FramedStreamState<E>,
): StreamTranslator {
  const emitter = new SseChunkEmitter({
    model: facts.requestedModel,
    created: deps.nowSeconds(),
    fallbackId: deps.newId(),
    includeUsage: facts.includeUsage,
  });
  const state = createState(emitter);
  let broken = false;
  const fail = (what: string, error: unknown) => {
    broken = true;
    emitter.error({
      type: "api_error",
      message: `could not read the upstream ${what}: ${(error as Error).message}`,
      code: null,
    });
  };
  const reader = createReader(event => {
    if (broken) return;
    try {
      state.onEvent(event);
    } catch (error) {
      fail("stream event", error);
    }
  });
  const read = (step: () => void) => {
    if (broken) return;
    try {
      step();
    } catch (error) {
      fail("stream", error);
    }
  };
  return {
    headers: STREAM_HEADERS,
    push(chunk) {
      read(() => reader.push(chunk));
      return emitter.drain();
    },
    end() {
      read(() => reader.end());
      if (!broken) state.end?.();
      return emitter.finish(state.usage());
    },
    usage: () => state.usage(),
  };
}
