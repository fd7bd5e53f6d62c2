/**
 * Test helpers for the OpenAI-chat → provider translators: fixed deps, running a translator over a
 * request and a complete response or a stream split at chosen byte boundaries, building expected
 * chunks, and reading our output with the OpenAI SDK.
 */
import { Stream } from "openai/streaming";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ChatCompletionMessageFunctionToolCall,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type {
  BackendTarget,
  ClientResponse,
  StreamTranslator,
  Translator,
  TranslatorDeps,
  UpstreamRequest,
} from "../../translators/types";
import { TranslationError } from "../../translators/errors";
import { seededRandom } from "../support/seeded-random";

/** Deterministic deps: a fixed clock and ids `id-1`, `id-2`, … per translator. */
export function fixedDeps(): TranslatorDeps {
  let next = 0;
  return { nowSeconds: () => 1_700_000_000, newId: () => `id-${++next}` };
}

/** A translator factory as every pair exports it. */
export type TranslatorFactory = (backend: BackendTarget, deps: TranslatorDeps) => Translator;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes text or JSON as a request/response body. */
export function bytesOf(value: unknown): Uint8Array {
  return encoder.encode(typeof value === "string" ? value : JSON.stringify(value));
}

/** Decodes a JSON body. */
export function jsonOf(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

/** A fresh translator (fixed deps) that has translated a chat request, and the upstream request. */
export function translateChatRequest(
  factory: TranslatorFactory,
  backend: BackendTarget,
  body: unknown,
  headers: Record<string, string> = {},
): { translator: Translator; upstream: UpstreamRequest } {
  const translator = factory(backend, fixedDeps());
  const upstream = translator.translateRequest({ path: "/v1/chat/completions", headers, body });
  return { translator, upstream };
}

/** Gives a translator a complete upstream response; `body` is JSON, or text sent as it is. */
export function respond(
  translator: Translator,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ClientResponse {
  return translator.translateResponse({ status, headers, body: bytesOf(body) });
}

/** Expects the 502 a translator answers for a 2xx provider body that is not JSON. */
export function expectNotJsonAnswer(translator: Translator): void {
  const response = respond(translator, 200, "<html>oops</html>");
  expect(response.status).toBe(502);
  expect(jsonOf(response.body)).toEqual({
    error: {
      message: "the upstream response body is not valid JSON",
      type: "api_error",
      param: null,
      code: null,
    },
  });
}

/** The stream translator of a fresh translator (fixed deps) that has translated `requestBody`. */
export function startStream(
  factory: TranslatorFactory,
  backend: BackendTarget,
  requestBody: unknown,
): StreamTranslator {
  return translateChatRequest(factory, backend, requestBody).translator.createStreamTranslator();
}

/** Pushes the pieces through a stream translator and ends it; returns the client output as text. */
export function feed(stream: StreamTranslator, pieces: Uint8Array[]): string {
  const out: Uint8Array[] = pieces.map(piece => stream.push(piece));
  out.push(stream.end());
  return out.map(bytes => decoder.decode(bytes)).join("");
}

/**
 * Runs a fresh translator over a request and the given stream pieces; returns the whole client
 * output as text.
 */
export function runStream(
  factory: TranslatorFactory,
  backend: BackendTarget,
  requestBody: unknown,
  pieces: Uint8Array[],
): string {
  return feed(startStream(factory, backend, requestBody), pieces);
}

/** Splits bytes at the given sorted offsets. */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    pieces.push(bytes.subarray(start, offset));
    start = offset;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Every two-piece split of the bytes, plus the one-byte-at-a-time split. */
export function everySplit(bytes: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [];
  for (let i = 1; i < bytes.length; i++) splits.push(splitAt(bytes, [i]));
  splits.push(
    splitAt(
      bytes,
      Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
    ),
  );
  return splits;
}

/** `count` random multi-piece splits of the bytes, from a fixed seed. */
export function randomSplits(bytes: Uint8Array, count: number, seed = 42): Uint8Array[][] {
  const random = seededRandom(seed);
  const splits: Uint8Array[][] = [];
  for (let n = 0; n < count; n++) {
    const cuts = new Set<number>();
    const cutCount = 1 + Math.floor(random() * 12);
    for (let c = 0; c < cutCount; c++) cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
    splits.push(
      splitAt(
        bytes,
        [...cuts].sort((a, b) => a - b),
      ),
    );
  }
  return splits;
}

/** The offset just inside the first multi-byte UTF-8 character of `text` (encoded), for a split there. */
export function offsetInsideMultiByte(bytes: Uint8Array): number {
  const index = bytes.findIndex(byte => byte >= 0xc0);
  if (index < 0) throw new Error("no multi-byte UTF-8 character in the stream");
  return index + 1;
}

/** Reads our OpenAI SSE output with the OpenAI SDK's own stream reader. */
export async function readWithOpenAISdk(sse: string): Promise<ChatCompletionChunk[]> {
  const response = new Response(sse, { headers: { "content-type": "text/event-stream" } });
  const stream = Stream.fromSSEResponse<ChatCompletionChunk>(response, new AbortController());
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The `data:` payloads of an SSE text, JSON-parsed (`[DONE]` kept as the string). */
export function ssePayloads(sse: string): unknown[] {
  return sse
    .split("\n\n")
    .filter(event => event.startsWith("data: "))
    .map(event => event.slice("data: ".length))
    .map(data => (data === "[DONE]" ? data : JSON.parse(data)));
}

/** The payloads of an SSE text that carry `usage`. */
export function usageChunks(sse: string): unknown[] {
  return ssePayloads(sse).filter(p => typeof p === "object" && p !== null && "usage" in p);
}

/** A tool call as we return it: the SDK type plus Gemini's thought signature. */
export type ToolCallWithSignature = ChatCompletionMessageFunctionToolCall & {
  extra_content?: { google: { thought_signature: string } };
};

/** OpenAI usage as we report it: the SDK type plus the prompt-cache writes. */
export type UsageWithCacheWrites = Omit<CompletionUsage, "prompt_tokens_details"> & {
  prompt_tokens_details?: CompletionUsage.PromptTokensDetails & {
    cache_creation_input_tokens?: number;
  };
};

/**
 * An OpenAI chat completion as we return it: the SDK type plus `reasoning_content`, tool-call
 * `extra_content` and cache writes in `usage`.
 */
export type ChatCompletionWithReasoning = Omit<ChatCompletion, "choices" | "usage"> & {
  usage?: UsageWithCacheWrites;
  choices: (Omit<ChatCompletion.Choice, "message"> & {
    message: Omit<ChatCompletionMessage, "tool_calls"> & {
      reasoning_content?: string;
      tool_calls?: ToolCallWithSignature[];
    };
  })[];
};

/** An OpenAI chunk as we stream it: the SDK type plus `reasoning_content` in deltas. */
export type ChunkWithReasoning = Omit<ChatCompletionChunk, "choices" | "usage"> & {
  usage?: UsageWithCacheWrites | null;
  choices: (Omit<ChatCompletionChunk.Choice, "delta"> & {
    delta: ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };
  })[];
};

/**
 * A builder of expected chunks that share `envelope` (`id`, `object`, `created`, `model`), each with
 * one choice.
 */
export function chunkBuilder(envelope: Omit<ChunkWithReasoning, "choices">) {
  return (
    delta: ChunkWithReasoning["choices"][number]["delta"],
    finishReason: ChatCompletionChunk.Choice["finish_reason"] = null,
    index = 0,
  ): ChunkWithReasoning => ({
    ...envelope,
    choices: [{ index, delta, logprobs: null, finish_reason: finishReason }],
  });
}

/**
 * The `TranslationError` that `translate` throws; fails if it throws nothing, and rethrows any other
 * error.
 */
export function rejectionOf(translate: () => unknown): TranslationError {
  try {
    translate();
  } catch (error) {
    if (error instanceof TranslationError) return error;
    throw error;
  }
  throw new Error("the request was not rejected");
}

/** Checks a refusal is exactly the OpenAI `invalid_request_error` body a client gets. */
export function expectInvalidRequest(
  rejection: TranslationError,
  expected: { status?: number; message: string; param: string | null },
): void {
  expect(rejection.status).toBe(expected.status ?? 400);
  expect(jsonOf(rejection.toBody())).toEqual({
    error: {
      message: expected.message,
      type: "invalid_request_error",
      param: expected.param,
      code: null,
    },
  });
}

/** The `TranslationError` a fresh translator throws for a chat request; fails if none is thrown. */
export function requestRejection(
  factory: TranslatorFactory,
  backend: BackendTarget,
  body: unknown,
): TranslationError {
  return rejectionOf(() => translateChatRequest(factory, backend, body));
}
