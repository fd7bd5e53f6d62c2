import { APIError } from "openai";
import { createOpenAIToAnthropic } from "../../translators/openai-anthropic";
import { createOpenAIToGCPAnthropic } from "../../translators/openai-gcpanthropic";
import type { BackendTarget } from "../../translators/types";
import { anthropicSse, streamEvents } from "./fixtures/openai-anthropic";
import {
  bytesOf,
  chunkBuilder,
  everySplit,
  feed,
  offsetInsideMultiByte,
  randomSplits,
  readWithOpenAISdk,
  runStream,
  splitAt,
  ssePayloads,
  startStream,
  usageChunks,
  type ChunkWithReasoning,
  type TranslatorFactory,
} from "./stream-split-harness";

const request = {
  model: "claude-sonnet-4-5",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "Hi" }],
};

const pairs: [string, TranslatorFactory, BackendTarget][] = [
  ["Anthropic", createOpenAIToAnthropic, { schema: { name: "Anthropic" } }],
  ["GCP Anthropic", createOpenAIToGCPAnthropic, { schema: { name: "GCPAnthropic" } }],
];

const envelope = {
  id: "msg_s1",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "claude-sonnet-4-5",
} as const;

const chunk = chunkBuilder(envelope);

/**
 * The fixture's text deltas and its closing `message_delta`: after a `message_start`, a short
 * stream that still has content and usage, picked by type so that the fixture may grow.
 */
const textDeltas = streamEvents.filter(
  event => event.type === "content_block_delta" && event.delta.type === "text_delta",
);
const shortStreamTail = [
  ...textDeltas,
  ...streamEvents.filter(event => event.type === "message_delta"),
];

describe.each(pairs)("OpenAI → %s: streaming", (_name, factory, backend) => {
  const run = (pieces: Uint8Array[], body: unknown = request) =>
    runStream(factory, backend, body, pieces);
  // A ping between events, as Anthropic sends them.
  const events = [...streamEvents.slice(0, 3), { type: "ping" as const }, ...streamEvents.slice(3)];
  const bytes = bytesOf(anthropicSse(events));

  it("maps every event kind to OpenAI chunks and ends with usage and [DONE]", async () => {
    const output = run([bytes]);
    const expected: ChunkWithReasoning[] = [
      chunk({ role: "assistant", content: "" }),
      chunk({ reasoning_content: "Hmm." }),
      chunk({ content: "Grüße, 世界 " }),
      chunk({ content: "🌍" }),
      chunk({
        tool_calls: [
          {
            index: 0,
            id: "toolu_s",
            type: "function",
            function: { name: "get_weather", arguments: "" },
          },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Zürich"}' } }] }),
      chunk({}, "tool_calls"),
      {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 15,
          completion_tokens: 9,
          total_tokens: 24,
          prompt_tokens_details: { cached_tokens: 3 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ];
    expect(await readWithOpenAISdk(output)).toEqual(expected);
    expect(output.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("omits the usage chunk unless include_usage, but still reports usage()", () => {
    const stream = startStream(factory, backend, { ...request, stream_options: undefined });
    expect(usageChunks(feed(stream, [bytes]))).toEqual([]);
    expect(stream.usage()).toEqual({
      inputTokens: 15,
      outputTokens: 9,
      totalTokens: 24,
      cachedInputTokens: 3,
      cacheCreationInputTokens: 0,
      reasoningTokens: 0,
    });
  });

  describe("prompt-cache writes from message_start", () => {
    const [start, ...rest] = streamEvents;
    if (start.type !== "message_start") throw new Error("fixture must start with message_start");
    const withWrites = {
      ...start,
      message: {
        ...start.message,
        usage: { ...start.message.usage, cache_creation_input_tokens: 5 },
      },
    };
    const writes = bytesOf(anthropicSse([withWrites, ...rest]));

    it("are counted in the input and on their own", () => {
      const stream = startStream(factory, backend, { ...request, stream_options: undefined });
      feed(stream, [writes]);
      expect(stream.usage()).toEqual({
        inputTokens: 20,
        outputTokens: 9,
        totalTokens: 29,
        cachedInputTokens: 3,
        cacheCreationInputTokens: 5,
        reasoningTokens: 0,
      });
    });

    it("are reported in the usage chunk beside the reads, whatever the split", async () => {
      const usageChunk: ChunkWithReasoning = {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 20,
          completion_tokens: 9,
          total_tokens: 29,
          prompt_tokens_details: { cached_tokens: 3, cache_creation_input_tokens: 5 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      };
      const output = run([writes]);
      expect((await readWithOpenAISdk(output)).at(-1)).toEqual(usageChunk);
      const small = bytesOf(anthropicSse([withWrites, ...shortStreamTail]));
      const smallWhole = run([small]);
      expect(usageChunks(smallWhole)).toEqual([usageChunk]);
      for (const pieces of everySplit(small)) expect(run(pieces)).toBe(smallWhole);
    });
  });

  it("turns an error event into an OpenAI error event, then [DONE]", async () => {
    const sse = anthropicSse([
      streamEvents[0],
      {
        type: "error",
        request_id: null,
        error: { type: "overloaded_error", message: "Overloaded" },
      },
      textDeltas[0],
    ]);
    const output = run([bytesOf(sse)]);
    expect(ssePayloads(output)).toEqual([
      expect.objectContaining({ id: "msg_s1" }),
      {
        error: { message: "Overloaded", type: "api_error", param: null, code: "overloaded_error" },
      },
      "[DONE]",
    ]);
    await expect(readWithOpenAISdk(output)).rejects.toBeInstanceOf(APIError);
  });

  describe("split boundaries", () => {
    const whole = run([bytes]);
    const small = bytesOf(anthropicSse([streamEvents[0], ...shortStreamTail]));
    const smallWhole = run([small]);

    it("gives the same output for every two-piece and the one-byte-at-a-time split", () => {
      for (const pieces of everySplit(small)) expect(run(pieces)).toBe(smallWhole);
    });

    it("gives the same output for a split inside a multi-byte character", () => {
      expect(run(splitAt(bytes, [offsetInsideMultiByte(bytes)]))).toBe(whole);
    });

    it("gives the same output for 300 random splits (fixed seed)", () => {
      for (const pieces of randomSplits(bytes, 300, 11)) expect(run(pieces)).toBe(whole);
    });
  });
});
