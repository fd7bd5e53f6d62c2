/**
 * Collects the OpenAI `chat.completion.chunk` events a provider stream turns into, as SSE bytes.
 * Provider stream states call `chunk`/`error`; the stream translator drains the bytes after each
 * upstream chunk and finishes with `finish()` (usage chunk when asked for, then `data: [DONE]`).
 */
import type { TokenUsage } from "../types";
import { openAIUsage } from "./token-usage";
import type { ReasoningBlock } from "./reasoning";
import type { OpenAIChoiceLogprobs } from "./logprobs";

/** The `delta` of one chunk choice. */
export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  /** Whole reasoning blocks with their signatures, each sent once its provider block ended. */
  thinking_blocks?: ReasoningBlock[];
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
  /** Emits one chunk with one choice; `logprobs` are those of the tokens in this delta. */
  chunk(
    delta: ChunkDelta,
    finishReason?: string | null,
    choiceIndex?: number,
    logprobs?: OpenAIChoiceLogprobs | null,
  ): void;
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

const encoder = new TextEncoder();

/** One SSE event carrying `json`. */
const sseEvent = (json: string): string => `data: ${json}\n\n`;

const SSE_DONE = sseEvent("[DONE]");

/** A chunk event after its delta: the rest of the choice, of the chunk and of the event. */
const afterDelta = (
  finishReason: string | null,
  logprobs: OpenAIChoiceLogprobs | null = null,
): string =>
  `,"logprobs":${JSON.stringify(logprobs)},"finish_reason":${JSON.stringify(finishReason)}}]}\n\n`;

/** What follows the delta in every chunk but the one that finishes its choice. */
const AFTER_UNFINISHED_DELTA = encoder.encode(afterDelta(null));

/**
 * Builds OpenAI chunk SSE events into a buffer the stream translator drains.
 *
 * A provider stream turns into thousands of small chunks that differ only in their delta, and
 * serializing and encoding the rest of each chunk again cost more than the delta itself. So a chunk
 * event is written in three pieces that together are exactly `sseEvent(JSON.stringify(chunk))`: the
 * part before the delta (`data: {"id":…,"object":…,"created":…,"model":…,"choices":[{"index":…,
 * "delta":`), kept as UTF-8 bytes until the id or the choice index changes; the delta's JSON; and
 * the part after it, kept as bytes for the usual `"finish_reason":null`. Events are written into
 * one growing byte buffer, copied out once per drain.
 */
export class SseChunkEmitter implements ChunkEmitter {
  private id: string;
  /** The bytes of a chunk event up to its delta, for `id` and the choice index last emitted. */
  private beforeDelta: { choiceIndex: number; bytes: Uint8Array } | undefined;
  private readonly out = new Utf8Buffer();
  /** After an error event the stream is over for the client: only `[DONE]` may follow. */
  private failed = false;

  constructor(private readonly options: ChunkEmitterOptions) {
    this.id = options.fallbackId;
  }

  setId(id: string): void {
    // Gemini repeats its response id on every event; only a new id needs new bytes.
    if (id === this.id) return;
    this.id = id;
    this.beforeDelta = undefined;
  }

  chunk(
    delta: ChunkDelta,
    finishReason: string | null = null,
    choiceIndex = 0,
    logprobs: OpenAIChoiceLogprobs | null = null,
  ): void {
    if (this.failed) return;
    this.out.writeBytes(this.bytesBeforeDelta(choiceIndex));
    this.out.writeText(JSON.stringify(delta));
    if (finishReason === null && logprobs === null) this.out.writeBytes(AFTER_UNFINISHED_DELTA);
    else this.out.writeText(afterDelta(finishReason, logprobs));
  }

  error(error: StreamError): void {
    if (this.failed) return;
    this.failed = true;
    const body = {
      error: { message: error.message, type: error.type, param: null, code: error.code },
    };
    this.out.writeText(sseEvent(JSON.stringify(body)));
  }

  /** The bytes emitted since the last drain. */
  drain(): Uint8Array {
    return this.out.take();
  }

  /** Emits the usage chunk (when the client asked for it) and `data: [DONE]`, then drains. */
  finish(usage: TokenUsage): Uint8Array {
    if (this.options.includeUsage && !this.failed) {
      const usageJson = JSON.stringify(openAIUsage(usage));
      this.out.writeText(sseEvent(`${this.envelopeJson()},"choices":[],"usage":${usageJson}}`));
    }
    this.out.writeText(SSE_DONE);
    return this.drain();
  }

  private bytesBeforeDelta(choiceIndex: number): Uint8Array {
    if (this.beforeDelta?.choiceIndex !== choiceIndex) {
      const choiceStart = `[{"index":${JSON.stringify(choiceIndex)},"delta":`;
      const text = `data: ${this.envelopeJson()},"choices":${choiceStart}`;
      this.beforeDelta = { choiceIndex, bytes: encoder.encode(text) };
    }
    return this.beforeDelta.bytes;
  }

  /** The chunk's fields before `choices`, as `JSON.stringify` writes them, without the closing `}`. */
  private envelopeJson(): string {
    const { created, model } = this.options;
    return (
      `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk",` +
      `"created":${JSON.stringify(created)},"model":${JSON.stringify(model)}`
    );
  }
}

/**
 * UTF-8 bytes written in place into one buffer that grows as needed, so a batch of events costs one
 * allocation and one copy rather than one of each per event.
 */
class Utf8Buffer {
  private bytes = new Uint8Array(4 * 1024);
  private length = 0;

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  writeText(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 4 for 2 units).
    this.reserve(text.length * 3);
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }

  /** A copy of the bytes written since the last `take`; the buffer is then empty again. */
  take(): Uint8Array {
    const bytes = this.bytes.slice(0, this.length);
    this.length = 0;
    return bytes;
  }

  private reserve(count: number) {
    if (this.length + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + count));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}
