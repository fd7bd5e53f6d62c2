import { APIError } from "openai";
import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import type { BackendTarget } from "../../translators/types";
import {
  malformedCallStreamEvents,
  textStreamEvents,
  toolStreamEvents,
  vertexSse,
} from "./fixtures/openai-gcpvertexai";
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
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };
const request = {
  model: "gemini-2.5-flash",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "Hi" }],
};

const run = (bytes: Uint8Array[], body: unknown = request) =>
  runStream(createOpenAIToGCPVertexAI, backend, body, bytes);

const envelope = {
  id: "resp-s1",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "gemini-2.5-flash",
} as const;

const chunk = chunkBuilder(envelope);

describe("OpenAI → GCP Vertex AI (Gemini): streaming", () => {
  const textBytes = bytesOf(vertexSse(textStreamEvents));

  it("turns each event into chunks, with finish reason and usage last", async () => {
    const output = run([textBytes]);
    const expected: ChunkWithReasoning[] = [
      chunk({ role: "assistant", content: "", reasoning_content: "Hmm. " }),
      chunk({ content: "Grüße, 世界 " }),
      chunk({ content: "🌍!" }),
      chunk({}, "stop"),
      {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 4,
          completion_tokens: 8,
          total_tokens: 12,
          prompt_tokens_details: { cached_tokens: 1 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      },
    ];
    expect(await readWithOpenAISdk(output)).toEqual(expected);
    expect(output.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("reports usage through usage() and omits the usage chunk unless include_usage", () => {
    const stream = startStream(createOpenAIToGCPVertexAI, backend, {
      ...request,
      stream_options: undefined,
    });
    expect(stream.headers.set["content-type"]).toBe("text/event-stream");
    expect(usageChunks(feed(stream, [textBytes]))).toEqual([]);
    expect(stream.usage()).toEqual({
      inputTokens: 4,
      outputTokens: 8,
      totalTokens: 12,
      cachedInputTokens: 1,
      cacheCreationInputTokens: 0,
      reasoningTokens: 2,
    });
  });

  it("gives streamed function calls stable indexes and finish_reason tool_calls", async () => {
    const output = run([bytesOf(vertexSse(toolStreamEvents))]);
    const chunks = await readWithOpenAISdk(output);
    expect(chunks.map(chunk => chunk.choices[0]?.delta.tool_calls)).toEqual([
      [
        {
          index: 0,
          id: "id-2",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Zürich"}' },
        },
      ],
      [{ index: 1, id: "id-3", type: "function", function: { name: "get_time", arguments: "{}" } }],
      undefined,
      undefined,
    ]);
    expect(chunks[2].choices[0].finish_reason).toBe("tool_calls");
    // No responseId from Gemini: the id comes from deps.newId().
    expect(new Set(chunks.map(chunk => chunk.id))).toEqual(new Set(["id-1"]));
  });

  it("turns an error event into an OpenAI error event the SDK raises", async () => {
    const sse = vertexSse([
      textStreamEvents[0],
      { error: { code: 429, message: "Quota exceeded.", status: "RESOURCE_EXHAUSTED" } },
      textStreamEvents[1],
    ]);
    const output = run([bytesOf(sse)]);
    expect(ssePayloads(output)).toEqual([
      expect.objectContaining({ id: "resp-s1" }),
      {
        error: {
          message: "Quota exceeded.",
          type: "rate_limit_error",
          param: null,
          code: "RESOURCE_EXHAUSTED",
        },
      },
      "[DONE]",
    ]);
    await expect(readWithOpenAISdk(output)).rejects.toBeInstanceOf(APIError);
  });

  describe("a malformed function call", () => {
    const bytes = bytesOf(vertexSse(malformedCallStreamEvents));
    const whole = run([bytes]);

    it("ends the stream with an error event naming MALFORMED_FUNCTION_CALL, not a stop", async () => {
      expect(ssePayloads(whole)).toEqual([
        expect.objectContaining({ id: "resp-m1" }),
        {
          error: {
            message: expect.stringContaining(
              "finishReason MALFORMED_FUNCTION_CALL (Malformed function call: get_weather(city=))",
            ),
            type: "api_error",
            param: null,
            code: "MALFORMED_FUNCTION_CALL",
          },
        },
        "[DONE]",
      ]);
      await expect(readWithOpenAISdk(whole)).rejects.toBeInstanceOf(APIError);
    });

    it("still reports the tokens spent, and the same output for every split", () => {
      const stream = startStream(createOpenAIToGCPVertexAI, backend, request);
      feed(stream, [bytes]);
      expect(stream.usage()).toMatchObject({ inputTokens: 9, outputTokens: 4 });
      for (const pieces of everySplit(bytes)) expect(run(pieces)).toBe(whole);
    });
  });

  describe("split boundaries", () => {
    const whole = run([textBytes]);
    const toolBytes = bytesOf(vertexSse(toolStreamEvents));
    const toolWhole = run([toolBytes]);

    it("gives the same output for every two-piece and the one-byte-at-a-time split", () => {
      for (const pieces of everySplit(textBytes)) expect(run(pieces)).toBe(whole);
      for (const pieces of everySplit(toolBytes)) expect(run(pieces)).toBe(toolWhole);
    });

    it("gives the same output for a split inside a multi-byte character", () => {
      expect(run(splitAt(textBytes, [offsetInsideMultiByte(textBytes)]))).toBe(whole);
    });

    it("gives the same output for 300 random splits (fixed seed)", () => {
      for (const pieces of randomSplits(textBytes, 300, 7)) expect(run(pieces)).toBe(whole);
    });
  });
});
