/**
 * The glue every OpenAI-chat → provider translator in this folder needs around its provider
 * mapping: validating the client body, applying the model override, reading the provider's JSON
 * answer (`json-exchange.ts`), and running a provider's stream (SSE, or any framing a reader
 * supplies) through a stream state into OpenAI chunk bytes. `createChatTranslator` puts these
 * together around one provider's mapping.
 */
import type { HeaderMutation } from "../../lib/header-mutation";
import type {
  BackendTarget,
  ClientResponse,
  StreamTranslator,
  TokenUsage,
  Translator,
  TranslatorDeps,
} from "../types";
import { chatCompletionRequestSchema, type ChatCompletionRequest } from "./openai-chat";
import { SseChunkEmitter, type ChunkEmitter } from "./chunk-emitter";
import {
  jsonUpstreamRequest,
  translateJsonResponse,
  type UpstreamErrorMapper,
} from "./json-exchange";
import { parseOrBadRequest } from "./request-validation";
import { createSseReader, type SseEvent } from "./sse";
import { wantsThinkingBlocks } from "./reasoning";
import { errorMessage } from "../../lib/error-message";

/** What the response side needs to remember about the request. */
export interface RequestFacts {
  /** The model the client asked for; responses report it. */
  requestedModel: string;
  /** The model sent upstream (after `modelNameOverride`). */
  upstreamModel: string;
  stream: boolean;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
  /**
   * Whether answers carry the provider's reasoning blocks (`thinking_blocks`, with signatures) for
   * the client to send back: when the request turned reasoning on or sent blocks back itself.
   */
  thinkingBlocks: boolean;
}

/**
 * Validates an OpenAI chat body and works out the models and streaming flags.
 * @throws TranslationError (400) naming the first invalid field.
 */
export function parseChatRequest(
  body: unknown,
  backend: BackendTarget,
): { request: ChatCompletionRequest; facts: RequestFacts } {
  const request = parseOrBadRequest(chatCompletionRequestSchema, body);
  return {
    request,
    facts: {
      requestedModel: request.model,
      upstreamModel: backend.modelNameOverride ?? request.model,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      thinkingBlocks: wantsThinkingBlocks(request),
    },
  };
}

/**
 * What one provider adds to the OpenAI chat translation; `createChatTranslator` does the rest. A
 * provider is built for every request, so write its members as methods: esbuild's `keepNames` (tsx,
 * `pepr build`) names every arrow function with a call that costs more than the rest of the object.
 */
export interface ChatProvider<R> extends UpstreamErrorMapper {
  /**
   * Where the validated request goes and what it carries: the upstream path, the headers to set
   * besides `content-type: application/json`, and the body (sent as JSON).
   */
  upstreamRequest(
    request: ChatCompletionRequest,
    facts: RequestFacts,
    clientHeaders: Record<string, string>,
  ): { path: string; headers?: Record<string, string>; body: unknown };
  /** The client response for a 2xx upstream body, already parsed as JSON. */
  completion(response: R, facts: RequestFacts): ClientResponse;
  /** The stream translator for a 2xx streaming response. */
  stream(facts: RequestFacts): StreamTranslator;
}

/**
 * An OpenAI chat translator around one provider's mapping, for one request. It validates the client
 * body (a 400 naming the first invalid field), applies `modelNameOverride`, and keeps what the
 * response side needs; a non-2xx response becomes an OpenAI error through `provider.mapError`, and a
 * 2xx body that is not JSON a 502. The response side throws when `translateRequest` was not called.
 */
export function createChatTranslator<R>(
  backend: BackendTarget,
  provider: ChatProvider<R>,
): Translator {
  let facts: RequestFacts | undefined;
  const requestFacts = (): RequestFacts => {
    if (!facts) throw new Error("translateRequest must be called before translating the response");
    return facts;
  };

  return {
    translateRequest(request) {
      const parsed = parseChatRequest(request.body, backend);
      facts = parsed.facts;
      const upstream = provider.upstreamRequest(parsed.request, facts, request.headers);
      return jsonUpstreamRequest(upstream, facts);
    },

    translateResponse(response) {
      return translateJsonResponse<R>(response, provider, body =>
        provider.completion(body, requestFacts()),
      );
    },

    createStreamTranslator() {
      return provider.stream(requestFacts());
    },
  };
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
      message: `could not read the upstream ${what}: ${errorMessage(error)}`,
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
