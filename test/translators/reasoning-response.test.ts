/**
 * Reasoning in answers, for every provider that reasons: `reasoning_content`, and the reasoning
 * blocks with their signatures (`thinking_blocks`) that a client sends back on the next turn, in
 * complete answers and streams split at every byte; reasoning token counts. A request that does not
 * turn reasoning on gets answers shaped as before (the pairs' own tests pin those bytes).
 */
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { createOpenAIToAnthropic } from "../../translators/openai-anthropic";
import { createOpenAIToAWSBedrock } from "../../translators/openai-awsbedrock";
import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import type { BackendTarget } from "../../translators/types";
import {
  anthropicSse,
  streamEvents as anthropicStreamEvents,
  textResponse as anthropicTextResponse,
} from "./fixtures/openai-anthropic";
import {
  concatBytes,
  eventFrame,
  textResponse as bedrockTextResponse,
} from "./fixtures/openai-awsbedrock";
import { vertexSse, type GenerateContentResponseBody } from "./fixtures/openai-gcpvertexai";
import {
  bytesOf,
  everySplit,
  jsonOf,
  respond,
  runStream,
  ssePayloads,
  startStream,
  feed,
  translateChatRequest,
  type TranslatorFactory,
} from "./stream-split-harness";

const ask = (model: string, extra: object = {}) => ({
  model,
  messages: [{ role: "user", content: "Hi" }],
  reasoning_effort: "high",
  ...extra,
});

/** The `thinking_blocks` of every chunk, in order. */
function streamedBlocks(sse: string): unknown[] {
  return ssePayloads(sse).flatMap(payload => {
    const choices = (payload as { choices?: { delta?: { thinking_blocks?: unknown[] } }[] })
      .choices;
    return choices?.[0]?.delta?.thinking_blocks ?? [];
  });
}

/** The concatenated `reasoning_content` of every chunk. */
function streamedReasoning(sse: string): string {
  return ssePayloads(sse)
    .map(payload => {
      const choices = (payload as { choices?: { delta?: { reasoning_content?: string } }[] })
        .choices;
      return choices?.[0]?.delta?.reasoning_content ?? "";
    })
    .join("");
}

/** The same output for every two-piece split and the one-byte-at-a-time split. */
function expectEverySplitSame(
  factory: TranslatorFactory,
  backend: BackendTarget,
  body: unknown,
  bytes: Uint8Array,
): string {
  const whole = runStream(factory, backend, body, [bytes]);
  for (const pieces of everySplit(bytes))
    expect(runStream(factory, backend, body, pieces)).toBe(whole);
  return whole;
}

describe("Anthropic: reasoning in answers", () => {
  const backend: BackendTarget = { schema: { name: "Anthropic" } };
  const response: Message = {
    ...anthropicTextResponse,
    content: [
      ...anthropicTextResponse.content.slice(0, 1),
      { type: "redacted_thinking", data: "ZW5jcnlwdGVk" },
      ...anthropicTextResponse.content.slice(1),
    ],
    usage: { ...anthropicTextResponse.usage, output_tokens_details: { thinking_tokens: 3 } },
  };

  it("returns reasoning_content, the blocks with signatures, and reasoning_tokens", () => {
    const { translator } = translateChatRequest(createOpenAIToAnthropic, backend, ask("c"));
    const answer = respond(translator, 200, response);
    expect(jsonOf(answer.body)).toMatchObject({
      choices: [
        {
          message: {
            content: "Bonjour !",
            reasoning_content: "The user greets me.",
            thinking_blocks: [
              { type: "thinking", thinking: "The user greets me.", signature: "sig" },
              { type: "redacted_thinking", data: "ZW5jcnlwdGVk" },
            ],
          },
        },
      ],
      usage: { completion_tokens_details: { reasoning_tokens: 3 } },
    });
    expect(answer.usage.reasoningTokens).toBe(3);
  });

  it("leaves the blocks out when the request did not turn reasoning on", () => {
    const { translator } = translateChatRequest(createOpenAIToAnthropic, backend, {
      model: "c",
      messages: [{ role: "user", content: "Hi" }],
    });
    const message = (
      jsonOf(respond(translator, 200, response).body) as never as {
        choices: { message: object }[];
      }
    ).choices[0].message;
    expect(message).not.toHaveProperty("thinking_blocks");
  });

  it("streams each thinking block whole once it ends, the same for every split", () => {
    const events: RawMessageStreamEvent[] = [
      ...anthropicStreamEvents.slice(0, 5),
      {
        type: "content_block_start",
        index: 5,
        content_block: { type: "redacted_thinking", data: "cmVk" },
      },
      { type: "content_block_stop", index: 5 },
      ...anthropicStreamEvents.slice(5, -2),
      {
        type: "message_delta",
        delta: {
          stop_reason: "tool_use",
          stop_sequence: null,
          container: null,
          stop_details: null,
        },
        usage: {
          output_tokens: 9,
          input_tokens: null,
          cache_read_input_tokens: null,
          cache_creation_input_tokens: null,
          server_tool_use: null,
          output_tokens_details: { thinking_tokens: 4 },
        },
      },
      { type: "message_stop" },
    ];
    const bytes = bytesOf(anthropicSse(events));
    const body = ask("c", { stream: true });
    const whole = expectEverySplitSame(createOpenAIToAnthropic, backend, body, bytes);
    expect(streamedReasoning(whole)).toBe("Hmm.");
    expect(streamedBlocks(whole)).toEqual([
      { type: "thinking", thinking: "Hmm.", signature: "sig" },
      { type: "redacted_thinking", data: "cmVk" },
    ]);
    const stream = startStream(createOpenAIToAnthropic, backend, body);
    feed(stream, [bytes]);
    expect(stream.usage().reasoningTokens).toBe(4);
  });
});

describe("Bedrock Converse: reasoning in answers", () => {
  const backend: BackendTarget = { schema: { name: "AWSBedrock" } };
  const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

  it("returns reasoning_content and the signed and redacted blocks", () => {
    const { translator } = translateChatRequest(createOpenAIToAWSBedrock, backend, ask(model));
    expect(jsonOf(respond(translator, 200, bedrockTextResponse).body)).toMatchObject({
      choices: [
        {
          message: {
            reasoning_content: "The user greets me.",
            thinking_blocks: [
              { type: "thinking", thinking: "The user greets me.", signature: "c2lnbmF0dXJl" },
              { type: "redacted_thinking", data: "cmVkYWN0ZWQ=" },
            ],
          },
        },
      ],
    });
  });

  it("streams a signed block whole at its end and redacted reasoning as it comes, for every split", () => {
    const bytes = concatBytes([
      eventFrame("messageStart", { role: "assistant" }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 0,
        delta: { reasoningContent: { text: "Hmm, " } },
      }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 0,
        delta: { reasoningContent: { text: "größer." } },
      }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 0,
        delta: { reasoningContent: { signature: "c2ln" } },
      }),
      eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
      eventFrame("contentBlockDelta", {
        contentBlockIndex: 1,
        delta: { reasoningContent: { redactedContent: "cmVk" } },
      }),
      eventFrame("contentBlockStop", { contentBlockIndex: 1 }),
      eventFrame("contentBlockDelta", { contentBlockIndex: 2, delta: { text: "Hi!" } }),
      eventFrame("contentBlockStop", { contentBlockIndex: 2 }),
      eventFrame("messageStop", { stopReason: "end_turn" }),
    ]);
    const whole = expectEverySplitSame(
      createOpenAIToAWSBedrock,
      backend,
      ask(model, { stream: true }),
      bytes,
    );
    expect(streamedReasoning(whole)).toBe("Hmm, größer.");
    expect(streamedBlocks(whole)).toEqual([
      { type: "thinking", thinking: "Hmm, größer.", signature: "c2ln" },
      { type: "redacted_thinking", data: "cmVk" },
    ]);
  });
});

describe("Gemini: reasoning in answers", () => {
  const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };
  const model = "gemini-3-pro-preview";
  const thought = (text: string, signature?: string) => ({
    text,
    thought: true,
    ...(signature !== undefined && { thoughtSignature: signature }),
  });

  it("returns thoughts as reasoning_content, a signed thought as a block, and thoughtsTokenCount", () => {
    const gemini: GenerateContentResponseBody = {
      responseId: "r1",
      candidates: [
        {
          content: {
            role: "model",
            parts: [thought("Plan. "), thought("Go.", "c2ln"), { text: "Done" }],
          },
          finishReason: "STOP" as never,
        },
      ],
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, thoughtsTokenCount: 5 },
    };
    const { translator } = translateChatRequest(createOpenAIToGCPVertexAI, backend, ask(model));
    const answer = respond(translator, 200, gemini);
    expect(jsonOf(answer.body)).toMatchObject({
      choices: [
        {
          message: {
            content: "Done",
            reasoning_content: "Plan. Go.",
            thinking_blocks: [{ type: "thinking", thinking: "Plan. Go.", signature: "c2ln" }],
          },
        },
      ],
      usage: { completion_tokens: 6, completion_tokens_details: { reasoning_tokens: 5 } },
    });
  });

  it("streams a signed thought as a block with the thought text of earlier events, for every split", () => {
    const events: GenerateContentResponseBody[] = [
      {
        responseId: "r2",
        candidates: [{ content: { role: "model", parts: [thought("Überlege. ")] } }],
      },
      {
        responseId: "r2",
        candidates: [{ content: { role: "model", parts: [thought("Fertig.", "c2ln")] } }],
      },
      {
        responseId: "r2",
        candidates: [
          { content: { role: "model", parts: [{ text: "Ja" }] }, finishReason: "STOP" as never },
        ],
      },
    ];
    const bytes = bytesOf(vertexSse(events));
    const whole = expectEverySplitSame(
      createOpenAIToGCPVertexAI,
      backend,
      ask(model, { stream: true }),
      bytes,
    );
    expect(streamedReasoning(whole)).toBe("Überlege. Fertig.");
    expect(streamedBlocks(whole)).toEqual([
      { type: "thinking", thinking: "Überlege. Fertig.", signature: "c2ln" },
    ]);
  });
});
