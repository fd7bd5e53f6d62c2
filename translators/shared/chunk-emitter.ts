/**
 * Collects the OpenAI `chat.completion.chunk` events a provider stream turns into, as SSE bytes.
 * Provider stream states call `chunk`/`error`; the stream translator drains the bytes after each
 * upstream chunk and finishes with `finish()` (usage chunk when asked for, then `data: [DONE]`).
 */
import type { TokenUsage } from "../types";
import { SSE_DONE, sseData } from "./sse";

/** The `delta` of one chunk choice. */
export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  tool_calls?: {
    index: number;
    id?: string;
    type?: "function";
    function: { name?: string; arguments: string };
    /** Provider data a client echoes back (Gemini thought signatures). */
    extra_content?: Record<string, unknown>;
  }[];
}

/** An upstream error, in the terms an OpenAI error body needs. */
export interface StreamError {
  type: string;
  message: string;
  code: string | null;
}

/** Where a provider stream state sends what it has to say. */
export interface ChunkEmitter {
  /** Sets the chunk `id` from the provider; later chunks carry it. */
  setId(id: string): void;
  /** Emits one chunk with one choice. */
  chunk(delta: ChunkDelta, finishReason?: string | null, choiceIndex?: number): void;
  /** Emits an OpenAI error event; the stream state should send nothing after it. */
  error(error: StreamError): void;
}

/** What the emitter needs to know about the request. */
export interface ChunkEmitterOptions {
  /** The model the client asked for; every chunk reports it. */
  model: string;
  /** `created` for every chunk. */
  created: number;
  /** Used until (or unless) the provider supplies an id. */
  fallbackId: string;
  /** `stream_options.include_usage`: send a final usage chunk with no choices. */
  includeUsage: boolean;
}

/** Builds OpenAI chunk SSE events into a buffer the stream translator drains. */
export class SseChunkEmitter implements ChunkEmitter {
  private id: string;
  private pending: Uint8Array[] = [];
  /** After an error event the stream is over for the client: only `[DONE]` may follow. */
  private failed = false;

  constructor(private readonly options: ChunkEmitterOptions) {
    this.id = options.fallbackId;
  }

  setId(id: string): void {
    this.id = id;
  }

  chunk(delta: ChunkDelta, finishReason: string | null = null, choiceIndex = 0): void {
    if (this.failed) return;
    this.write({
      ...this.envelope(),
      choices: [{ index: choiceIndex, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  error(error: StreamError): void {
    if (this.failed) return;
    this.failed = true;
    this.write({
      error: { message: error.message, type: error.type, param: null, code: error.code },
    });
  }

  /** The bytes emitted since the last drain. */
  drain(): Uint8Array {
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Emits the usage chunk (when the client asked for it) and `data: [DONE]`, then drains. */
  finish(usage: TokenUsage): Uint8Array {
    if (this.options.includeUsage && !this.failed) {
      this.write({ ...this.envelope(), choices: [], usage: openAIUsage(usage) });
    }
    this.pending.push(SSE_DONE);
    return this.drain();
  }

  private envelope() {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.options.created,
      model: this.options.model,
    };
  }

  private write(event: unknown) {
    this.pending.push(sseData(event));
  }
}

/** Our usage counts in the OpenAI `usage` object shape. */
export function openAIUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}
