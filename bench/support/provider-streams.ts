/**
 * Streaming responses as each provider sends them on the wire, of a chosen size, for the translator
 * benchmark: a long answer in small text deltas followed by one tool call, then the finish reason and
 * usage. Every builder is deterministic for a seed and records what a correct translation must stream
 * to the client, so the benchmark can check it measured the success path.
 *
 * Shapes follow the providers' documented streams and the fixtures in test/translators/fixtures:
 * - OpenAI / Azure OpenAI: `data: <chat.completion.chunk>\n\n` … `data: [DONE]\n\n`.
 * - Gemini (`streamGenerateContent?alt=sse`): `data: <GenerateContentResponse>\r\n\r\n`, each event a
 *   slice of the candidate; `finishReason` and the full `usageMetadata` on the last one.
 * - Anthropic Messages (native and Vertex AI): `event: <type>\ndata: <json>\n\n`, from
 *   `message_start` to `message_stop`.
 * - Bedrock ConverseStream: `application/vnd.amazon.eventstream` binary frames, with the `p` padding
 *   field Bedrock adds to every payload.
 */
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { seededRandom } from "../../test/support/seeded-random";

/** One provider's streamed response and what its translation must produce. */
export interface ProviderStream {
  /** The response body as the provider sends it. */
  bytes: Uint8Array;
  /** Provider events (SSE events or eventstream frames) in `bytes`. */
  events: number;
  /** The answer text, concatenated over the client's `delta.content`s. */
  content: string;
  /** The tool call's arguments, concatenated over the client's `tool_calls[].function.arguments`. */
  toolArguments: string;
}

/** An integer in [min, max]. */
const between = (random: () => number, min: number, max: number) =>
  min + Math.floor(random() * (max - min + 1));

/**
 * Splits bytes into pieces of `minBytes`–`maxBytes` (the last may be shorter), the way a TCP/TLS
 * reader hands them over: anywhere, mid-event and mid-UTF-8 character included.
 */
export function networkChunks(
  bytes: Uint8Array,
  random: () => number,
  minBytes = 1024,
  maxBytes = 16 * 1024,
): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = Math.min(bytes.length, start + between(random, minBytes, maxBytes));
    chunks.push(bytes.subarray(start, end));
    start = end;
  }
  return chunks;
}

// An answer's words, with some multi-byte characters so UTF-8 handling is on the measured path.
const WORDS = (
  "the checkout pod was restarted after it ran out of memory , and the rollout history shows " +
  "that yesterday's deploy raised the working set from 410Mi to 600Mi . Runbook §4.2 says to " +
  "compare the limit with the p99 usage before changing it ; the Zürich site ( zrh1 ) reports " +
  "normal cooling , 22 °C , so hardware is not a factor . Next steps : roll back , watch " +
  "restarts for 15 minutes , then open a ticket for the payments team — 支払い チーム 🌍 ."
).split(" ");

/** Text deltas of `minWords`–`maxWords` words each, an endless answer. */
function textDeltas(random: () => number, minWords: number, maxWords: number): () => string {
  let position = 0;
  return () => {
    let delta = "";
    for (let n = between(random, minWords, maxWords); n > 0; n--) {
      delta += ` ${WORDS[position++ % WORDS.length]}`;
    }
    return delta;
  };
}

/** The tool call every stream ends with, and its arguments split as providers stream them. */
const TOOL_NAME = "page_on_call";
const TOOL_ARGUMENTS = {
  team: "payments",
  severity: "sev3",
  summary: "checkout-7d9f8c6b5-9zq7m OOMKilled 7× since yesterday's deploy; rolled back, watching.",
  links: ["https://grafana.example.com/d/payments-overview?orgId=1&from=now-24h"],
};
const TOOL_ARGUMENTS_JSON = JSON.stringify(TOOL_ARGUMENTS);

function argumentPieces(random: () => number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < TOOL_ARGUMENTS_JSON.length; ) {
    const end = start + between(random, 4, 16);
    pieces.push(TOOL_ARGUMENTS_JSON.slice(start, end));
    start = end;
  }
  return pieces;
}

const encoder = new TextEncoder();

/** Collects one stream's events. */
function streamWriter() {
  const events: Uint8Array[] = [];
  let size = 0;
  const push = (event: Uint8Array) => {
    events.push(event);
    size += event.byteLength;
  };
  return {
    push,
    /**
     * Appends one text event per delta until the stream reaches `targetBytes`; returns the answer
     * text they carry.
     */
    fillWithText(
      targetBytes: number,
      nextDelta: () => string,
      encodeEvent: (delta: string) => Uint8Array,
    ): string {
      let content = "";
      while (size < targetBytes) {
        const delta = nextDelta();
        push(encodeEvent(delta));
        content += delta;
      }
      return content;
    },
    finish: (content: string): ProviderStream => ({
      bytes: new Uint8Array(Buffer.concat(events)),
      events: events.length,
      content,
      toolArguments: TOOL_ARGUMENTS_JSON,
    }),
  };
}

/** An OpenAI (or Azure OpenAI) chat completion stream, with usage, of about `targetBytes`. */
export function openAIChatStream(targetBytes: number, seed: number): ProviderStream {
  const random = seededRandom(seed);
  const out = streamWriter();
  const envelope = {
    id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    object: "chat.completion.chunk",
    created: 1_746_180_131,
    model: "gpt-4o-2024-08-06",
    service_tier: "default",
    system_fingerprint: "fp_eb9dce56a8",
  };
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    encoder.encode(
      `data: ${JSON.stringify({
        ...envelope,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        usage: null,
      })}\n\n`,
    );
  out.push(chunk({ role: "assistant", content: "", refusal: null }));
  const content = out.fillWithText(targetBytes, textDeltas(random, 1, 1), delta =>
    chunk({ content: delta }),
  );
  const call = { index: 0, id: "call_Wq3dJ8mTz5", type: "function" };
  out.push(chunk({ tool_calls: [{ ...call, function: { name: TOOL_NAME, arguments: "" } }] }));
  for (const piece of argumentPieces(random)) {
    out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  out.push(chunk({}, "tool_calls"));
  const usage = {
    prompt_tokens: 1120,
    completion_tokens: 9870,
    total_tokens: 10_990,
    prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
  out.push(encoder.encode(`data: ${JSON.stringify({ ...envelope, choices: [], usage })}\n\n`));
  out.push(encoder.encode("data: [DONE]\n\n"));
  return out.finish(content);
}

/** A Gemini `streamGenerateContent?alt=sse` stream from Vertex AI, of about `targetBytes`. */
export function geminiStream(targetBytes: number, seed: number): ProviderStream {
  const random = seededRandom(seed);
  const out = streamWriter();
  const envelope = {
    modelVersion: "gemini-2.5-flash",
    createTime: "2025-05-02T10:02:11.123456Z",
    responseId: "k9YUaM_XBpmZ2PgPq7CUsAo",
  };
  const event = (body: unknown) => encoder.encode(`data: ${JSON.stringify(body)}\r\n\r\n`);
  // Gemini streams larger slices than the token-by-token providers.
  const content = out.fillWithText(targetBytes, textDeltas(random, 8, 30), delta =>
    event({
      candidates: [{ content: { role: "model", parts: [{ text: delta }] } }],
      usageMetadata: { trafficType: "ON_DEMAND" },
      ...envelope,
    }),
  );
  out.push(
    event({
      candidates: [
        {
          content: {
            role: "model",
            parts: [{ functionCall: { name: TOOL_NAME, args: TOOL_ARGUMENTS } }],
          },
          finishReason: "STOP",
        },
      ],
      usageMetadata: {
        promptTokenCount: 1120,
        candidatesTokenCount: 9870,
        totalTokenCount: 10_990,
        cachedContentTokenCount: 1024,
        trafficType: "ON_DEMAND",
      },
      ...envelope,
    }),
  );
  return out.finish(content);
}

/** An Anthropic Messages stream (native API or Vertex AI `streamRawPredict`), of about `targetBytes`. */
export function anthropicStream(targetBytes: number, seed: number): ProviderStream {
  const random = seededRandom(seed);
  const out = streamWriter();
  const event = (body: { type: string; [field: string]: unknown }) =>
    encoder.encode(`event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`);
  out.push(
    event({
      type: "message_start",
      message: {
        id: "msg_01XFDUDYJgAACzvnptvVoYEL",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5-20250929",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 96,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1024,
          output_tokens: 1,
          service_tier: "standard",
        },
      },
    }),
  );
  out.push(
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
  );
  out.push(event({ type: "ping" }));
  const content = out.fillWithText(targetBytes, textDeltas(random, 1, 3), delta =>
    event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: delta } }),
  );
  out.push(event({ type: "content_block_stop", index: 0 }));
  out.push(
    event({
      type: "content_block_start",
      index: 1,
      content_block: {
        type: "tool_use",
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: TOOL_NAME,
        input: {},
      },
    }),
  );
  for (const piece of argumentPieces(random)) {
    out.push(
      event({
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: piece },
      }),
    );
  }
  out.push(event({ type: "content_block_stop", index: 1 }));
  out.push(
    event({
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 9870 },
    }),
  );
  out.push(event({ type: "message_stop" }));
  return out.finish(content);
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A Bedrock ConverseStream response (`application/vnd.amazon.eventstream`), of about `targetBytes`. */
export function bedrockConverseStream(targetBytes: number, seed: number): ProviderStream {
  const random = seededRandom(seed);
  const out = streamWriter();
  const frame = (eventType: string, payload: Record<string, unknown>) => {
    const headers: MessageHeaders = {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    };
    // Bedrock pads every payload with a `p` field of varying length, so sizes do not leak content.
    const p = PADDING.slice(0, between(random, 1, PADDING.length));
    return codec.encode({ headers, body: fromUtf8(JSON.stringify({ ...payload, p })) });
  };
  out.push(frame("messageStart", { role: "assistant" }));
  const content = out.fillWithText(targetBytes, textDeltas(random, 1, 3), delta =>
    frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: delta } }),
  );
  out.push(frame("contentBlockStop", { contentBlockIndex: 0 }));
  out.push(
    frame("contentBlockStart", {
      contentBlockIndex: 1,
      start: { toolUse: { toolUseId: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: TOOL_NAME } },
    }),
  );
  for (const piece of argumentPieces(random)) {
    out.push(
      frame("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: piece } } }),
    );
  }
  out.push(frame("contentBlockStop", { contentBlockIndex: 1 }));
  out.push(frame("messageStop", { stopReason: "tool_use" }));
  out.push(
    frame("metadata", {
      usage: { inputTokens: 1120, outputTokens: 9870, totalTokens: 10_990 },
      metrics: { latencyMs: 41_250 },
    }),
  );
  return out.finish(content);
}

/**
 * The event types of an eventstream body, decoded frame by frame with CRC checks: a check that the
 * Bedrock builder writes frames a reader accepts.
 */
export function decodeEventTypes(bytes: Uint8Array): string[] {
  const types: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; ) {
    const length = view.getUint32(offset);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    const eventType = message.headers[":event-type"]?.value;
    types.push(String(eventType));
    JSON.parse(toUtf8(message.body));
    offset += length;
  }
  return types;
}
