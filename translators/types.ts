/**
 * The translator contract shared by the ext_proc server and the CLI. One translator per (client
 * endpoint, backend schema) pair; every translator is pure: no I/O, no clock or random ids unless
 * injected through `TranslatorDeps`, no module-level state.
 */
import type { APISchemaName } from "../api/v1alpha1";
import type { HeaderMutation } from "../lib/header-mutation";

/** The client-facing endpoints the gateway translates. */
export type ClientEndpoint = "/v1/chat/completions" | "/v1/embeddings" | "/v1/completions";

/** What a translator needs to know about the backend the request goes to. */
export interface BackendTarget {
  /** The API the backend speaks (AIServiceBackend `spec.schema`). */
  schema: { name: APISchemaName; version?: string };
  /** Replaces the client's model in the upstream request (AIGatewayRoute backendRef `modelNameOverride`). */
  modelNameOverride?: string;
}

/** Injected sources of time and identity, so translators stay deterministic under test. */
export interface TranslatorDeps {
  /** Seconds since the epoch, for `created`. */
  nowSeconds(): number;
  /** A fresh unique id, for `id` and tool-call ids the provider does not supply. */
  newId(): string;
}

/** A client request, as the ext_proc server has it after buffering the body. */
export interface ClientRequest {
  /** The request path, without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request headers, lower-case keys. */
  headers: Record<string, string>;
  /** The parsed JSON body. */
  body: unknown;
}

/** The upstream request a translator produces. */
export interface UpstreamRequest {
  /** The new `:path`, including any query string. */
  path: string;
  headers: HeaderMutation;
  body: Uint8Array;
  /** The model the client asked for (before any override): the response reports it. */
  requestedModel: string;
  /** The model sent upstream (after `modelNameOverride`). */
  upstreamModel: string;
  /** Whether the client asked for a streaming response. */
  stream: boolean;
}

/**
 * Token usage as OpenAI counts it: input includes cached input, both the cache reads
 * (`cachedInputTokens`) and the cache writes (`cacheCreationInputTokens`).
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  /**
   * Input tokens written to the provider's prompt cache, which some providers bill above plain
   * input (Anthropic `cache_creation_input_tokens`, Bedrock `cacheWriteInputTokens`). 0 where the
   * provider does not report them (OpenAI caches implicitly and bills no writes).
   */
  cacheCreationInputTokens: number;
  reasoningTokens: number;
}

/** A complete (non-streaming) upstream response. */
export interface UpstreamResponse {
  status: number;
  /** Response headers, lower-case keys. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The client response a translator produces from a complete upstream response. */
export interface ClientResponse {
  status: number;
  headers: HeaderMutation;
  body: Uint8Array;
  usage: TokenUsage;
}

/**
 * Translates one streaming upstream response. Fed arbitrary byte chunks (a chunk may end mid-frame,
 * mid-line or mid-UTF-8 character); returns the OpenAI SSE bytes that can be emitted so far.
 */
export interface StreamTranslator {
  /** Headers to set/remove on the client response once the stream starts (e.g. content-type). */
  readonly headers: HeaderMutation;
  push(chunk: Uint8Array): Uint8Array;
  /** Flushes what is left, the usage chunk when asked for, and `data: [DONE]`. */
  end(): Uint8Array;
  /** Token usage seen so far; complete after `end()`. */
  usage(): TokenUsage;
}

/**
 * One (client endpoint, backend schema) pair, for one request: call `translateRequest` first, then
 * either `translateResponse` or `createStreamTranslator`. Instances come from `createTranslator`
 * (`translators/index.ts`), which throws a `TranslationError` (404 for an unknown endpoint, 400 for a
 * pair that is not supported) naming what was asked for.
 */
export interface Translator {
  /** @throws TranslationError when the request cannot be expressed for this backend. */
  translateRequest(request: ClientRequest): UpstreamRequest;
  /** Translates a complete response, success or provider error. */
  translateResponse(response: UpstreamResponse): ClientResponse;
  /** A fresh stream translator for one streaming response with a 2xx status. */
  createStreamTranslator(): StreamTranslator;
}
