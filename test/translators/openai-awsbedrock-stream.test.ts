import { crc32 } from "node:zlib";
import { APIError } from "openai";
import { createOpenAIToAWSBedrock } from "../../translators/openai-awsbedrock";
import type { BackendTarget } from "../../translators/types";
import {
  concatBytes,
  eventFrame,
  exceptionFrame,
  rawFrame,
  shortStreamFrames,
  streamFrames,
  type StreamExceptionName,
} from "./fixtures/openai-awsbedrock";
import {
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

const backend: BackendTarget = { schema: { name: "AWSBedrock" } };
const model = "anthropic.claude-sonnet-4-5";
const request = {
  model,
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "Hi" }],
};

const run = (pieces: Uint8Array[], body: unknown = request) =>
  runStream(createOpenAIToAWSBedrock, backend, body, pieces);

const envelope = {
  id: "id-1",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model,
} as const;

const chunk = chunkBuilder(envelope);

const roleChunk = chunk({ role: "assistant", content: "" });

/** The OpenAI error event the client gets, as a parsed SSE payload. */
const errorEvent = (message: string, type = "api_error", code: string | null = null) => ({
  error: { message, type, param: null, code },
});

const lengthOf = (frames: Uint8Array[]) => frames.reduce((sum, frame) => sum + frame.length, 0);

describe("OpenAI → AWS Bedrock ConverseStream", () => {
  const bytes = concatBytes(streamFrames);

  it("maps reasoning, text, two tool calls, the stop reason and usage with cache tokens", async () => {
    const output = run([bytes]);
    const expected: ChunkWithReasoning[] = [
      roleChunk,
      chunk({ reasoning_content: "Hmm, " }),
      chunk({ reasoning_content: "weather." }),
      chunk({ content: "Grüße, 世界 " }),
      chunk({ content: "🌍" }),
      chunk({
        tool_calls: [
          {
            index: 0,
            id: "tooluse_w",
            type: "function",
            function: { name: "get_weather", arguments: "" },
          },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Zürich"}' } }] }),
      chunk({
        tool_calls: [
          {
            index: 1,
            id: "tooluse_t",
            type: "function",
            function: { name: "get_time", arguments: "" },
          },
        ],
      }),
      // The second tool streamed no input: OpenAI clients still get JSON arguments.
      chunk({ tool_calls: [{ index: 1, function: { arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
      {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 19,
          completion_tokens: 9,
          total_tokens: 28,
          prompt_tokens_details: { cached_tokens: 3, cache_creation_input_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ];
    expect(await readWithOpenAISdk(output)).toEqual(expected);
    expect(output.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("sets the SSE response headers and reports usage, without a usage chunk unless asked", () => {
    const stream = startStream(createOpenAIToAWSBedrock, backend, {
      ...request,
      stream_options: undefined,
    });
    expect(stream.headers).toEqual({
      set: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      remove: ["content-length"],
    });
    const output = feed(stream, [bytes]);
    expect(usageChunks(output)).toEqual([]);
    expect(ssePayloads(output).at(-1)).toBe("[DONE]");
    expect(stream.usage()).toEqual({
      inputTokens: 19,
      outputTokens: 9,
      totalTokens: 28,
      cachedInputTokens: 3,
      cacheCreationInputTokens: 4,
      reasoningTokens: 0,
    });
  });

  it("emits each frame's chunks as soon as the frame is complete", () => {
    const stream = startStream(createOpenAIToAWSBedrock, backend, request);
    const decoder = new TextDecoder();
    const [first, second] = shortStreamFrames;
    expect(decoder.decode(stream.push(first.subarray(0, first.length - 1)))).toBe("");
    expect(ssePayloads(decoder.decode(stream.push(first.subarray(first.length - 1))))).toEqual([
      roleChunk,
    ]);
    expect(ssePayloads(decoder.decode(stream.push(second)))).toEqual([chunk({ content: "Hé" })]);
  });

  it("turns an exception frame mid-stream into an OpenAI error event, then [DONE]", async () => {
    const frames = [
      shortStreamFrames[0],
      shortStreamFrames[1],
      exceptionFrame("throttlingException", "Too many tokens, please wait before trying again."),
      eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "ignored" } }),
      shortStreamFrames[3],
      shortStreamFrames[4],
    ];
    const output = run([concatBytes(frames)]);
    expect(ssePayloads(output)).toEqual([
      roleChunk,
      chunk({ content: "Hé" }),
      errorEvent(
        "Too many tokens, please wait before trying again.",
        "rate_limit_error",
        "ThrottlingException",
      ),
      "[DONE]",
    ]);
    await expect(readWithOpenAISdk(output)).rejects.toBeInstanceOf(APIError);
  });

  it.each<[StreamExceptionName, string, string]>([
    ["validationException", "invalid_request_error", "ValidationException"],
    ["modelStreamErrorException", "api_error", "ModelStreamErrorException"],
    ["internalServerException", "api_error", "InternalServerException"],
    ["serviceUnavailableException", "api_error", "ServiceUnavailableException"],
  ])("maps the in-stream %s to type %s", (name, type, code) => {
    const output = run([concatBytes([shortStreamFrames[0], exceptionFrame(name, "It failed.")])]);
    expect(ssePayloads(output)).toEqual([
      roleChunk,
      errorEvent("It failed.", type, code),
      "[DONE]",
    ]);
  });

  it("maps the event-stream protocol's own error frame", () => {
    const frame = rawFrame(
      { ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom" },
      "",
    );
    expect(ssePayloads(run([frame]))).toEqual([
      errorEvent("boom", "api_error", "InternalFailure"),
      "[DONE]",
    ]);
  });

  it("ends with an error event when a frame fails its message checksum", () => {
    const corrupt = Uint8Array.from(bytes);
    const offset = lengthOf(streamFrames.slice(0, 5));
    const frame = streamFrames[5];
    // Flip a payload byte: the prelude stays valid, the message CRC no longer matches.
    corrupt[offset + frame.length - 10] ^= 0xff;
    const corruptFrame = corrupt.subarray(offset, offset + frame.length);
    const computed = crc32(corruptFrame.subarray(0, frame.length - 4));
    const expectedCrc = Buffer.from(frame).readUInt32BE(frame.length - 4);
    const output = run([corrupt]);
    expect(ssePayloads(output)).toEqual([
      roleChunk,
      chunk({ reasoning_content: "Hmm, " }),
      chunk({ reasoning_content: "weather." }),
      errorEvent(
        `could not read the upstream stream: event-stream frame 6 (at byte ${offset}) is corrupt: The message checksum (${computed}) did not match the expected value of ${expectedCrc}`,
      ),
      "[DONE]",
    ]);
  });

  it("ends with an error event as soon as a prelude fails its checksum", () => {
    const [first, second] = shortStreamFrames;
    const corrupt = Uint8Array.from(second);
    corrupt[3] ^= 0x01; // the total length: without the prelude CRC the reader would wait for it
    const stream = startStream(createOpenAIToAWSBedrock, backend, request);
    const decoder = new TextDecoder();
    expect(ssePayloads(decoder.decode(stream.push(first)))).toEqual([roleChunk]);
    expect(ssePayloads(decoder.decode(stream.push(corrupt.subarray(0, 12))))).toEqual([
      errorEvent(
        `could not read the upstream stream: event-stream frame 2 (at byte ${first.length}) is corrupt: its prelude checksum does not match`,
      ),
    ]);
    expect(decoder.decode(stream.push(corrupt.subarray(12)))).toBe("");
    expect(decoder.decode(stream.push(shortStreamFrames[2]))).toBe("");
    expect(ssePayloads(decoder.decode(stream.end()))).toEqual(["[DONE]"]);
  });

  it("ends with an error event for a prelude whose lengths cannot be", () => {
    const prelude = Buffer.alloc(12);
    prelude.writeUInt32BE(8, 0);
    prelude.writeUInt32BE(0, 4);
    prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
    expect(ssePayloads(run([prelude]))).toEqual([
      errorEvent(
        "could not read the upstream stream: event-stream frame 1 (at byte 0) is malformed: it declares 8 bytes with 0 bytes of headers",
      ),
      "[DONE]",
    ]);
  });

  it("ends with an error event when the stream stops inside a frame", () => {
    const [first, second] = shortStreamFrames;
    const cut = concatBytes([first, second.subarray(0, 20)]);
    expect(ssePayloads(run([cut]))).toEqual([
      roleChunk,
      errorEvent(
        `could not read the upstream stream: the stream ended inside event-stream frame 2 (at byte ${first.length}), after 20 of ${second.length} bytes`,
      ),
      "[DONE]",
    ]);
    expect(ssePayloads(run([concatBytes([first, second.subarray(0, 5)])]))).toEqual([
      roleChunk,
      errorEvent(
        `could not read the upstream stream: the stream ended inside event-stream frame 2 (at byte ${first.length}), after 5 bytes`,
      ),
      "[DONE]",
    ]);
  });

  it("ends with an error event when the stream ends before messageStop", () => {
    const output = run([concatBytes(shortStreamFrames.slice(0, 3))]);
    expect(ssePayloads(output)).toEqual([
      roleChunk,
      chunk({ content: "Hé" }),
      errorEvent(
        "the upstream stream ended before its messageStop event; the answer is incomplete.",
      ),
      "[DONE]",
    ]);
  });

  it("ends with an error event for an event whose payload is not JSON", () => {
    const frames = [
      shortStreamFrames[0],
      rawFrame({ ":message-type": "event", ":event-type": "contentBlockDelta" }, "not json"),
      ...shortStreamFrames.slice(1),
    ];
    expect(ssePayloads(run([concatBytes(frames)]))).toEqual([
      roleChunk,
      errorEvent(
        "could not read the upstream stream event: the payload of the contentBlockDelta event is not a JSON object",
      ),
      "[DONE]",
    ]);
  });

  it("ignores events it does not know and deltas it has no field for", () => {
    const frames = [
      shortStreamFrames[0],
      rawFrame(
        { ":message-type": "event", ":event-type": "someFutureEvent" },
        JSON.stringify({ x: 1 }),
      ),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 0,
        delta: { citation: { title: "Doc", location: { documentChar: { documentIndex: 0 } } } },
      }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 0,
        delta: { reasoningContent: { redactedContent: "cmVkYWN0ZWQ=" } },
      }),
      eventFrame("contentBlockStart", {
        contentBlockIndex: 1,
        start: { toolUse: { toolUseId: "srv_1", name: "web_search", type: "server_tool_use" } },
      }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 1,
        delta: { toolUse: { input: '{"q":"x"}' } },
      }),
      eventFrame("contentBlockStop", { contentBlockIndex: 1 }),
      ...shortStreamFrames.slice(1),
    ];
    expect(ssePayloads(run([concatBytes(frames)]))).toEqual([
      roleChunk,
      chunk({ content: "Hé" }),
      chunk({}, "stop"),
      {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 2,
          completion_tokens: 1,
          total_tokens: 3,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
      "[DONE]",
    ]);
  });

  describe("split boundaries", () => {
    const whole = run([bytes]);

    it("gives the same output for every two-piece and the one-byte-at-a-time split", () => {
      for (const pieces of everySplit(bytes)) expect(run(pieces)).toBe(whole);
    });

    it("gives the same output for a split inside a multi-byte character", () => {
      expect(run(splitAt(bytes, [offsetInsideMultiByte(bytes)]))).toBe(whole);
    });

    it("gives the same output for 300 random splits (fixed seed)", () => {
      for (const pieces of randomSplits(bytes, 300, 7)) expect(run(pieces)).toBe(whole);
    });

    it("gives the same error output for every split of a stream with an exception frame", () => {
      const failing = concatBytes([
        ...shortStreamFrames.slice(0, 2),
        exceptionFrame("throttlingException", "Slow down."),
        ...shortStreamFrames.slice(2),
      ]);
      const failingWhole = run([failing]);
      expect(failingWhole).toContain("ThrottlingException");
      for (const pieces of everySplit(failing)) expect(run(pieces)).toBe(failingWhole);
    });

    it("gives the same error output for every split of a stream with a corrupt frame", () => {
      const corrupt = concatBytes(shortStreamFrames);
      corrupt[lengthOf(shortStreamFrames.slice(0, 2)) - 6] ^= 0x55;
      const corruptWhole = run([corrupt]);
      expect(corruptWhole).toContain("is corrupt: The message checksum");
      for (const pieces of everySplit(corrupt)) expect(run(pieces)).toBe(corruptWhole);
    });
  });
});
