import type {
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
} from "@anthropic-ai/sdk/resources/messages";
import { createOpenAIToAnthropic } from "../../translators/openai-anthropic";
import type { BackendTarget } from "../../translators/types";
import {
  errorCases,
  requestCases,
  requestErrorCases,
  responseWithStopReason,
  stopReasonCases,
  textResponse,
  toolUseResponse,
} from "./fixtures/openai-anthropic";
import {
  expectNotJsonAnswer,
  jsonOf,
  expectInvalidRequest,
  rejectionOf,
  respond,
  translateChatRequest,
  type ChatCompletionWithReasoning,
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "Anthropic" } };
const simpleRequest = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hi" }] };

const translatorFor = (
  body: unknown,
  target: BackendTarget = backend,
  headers: Record<string, string> = {},
) => translateChatRequest(createOpenAIToAnthropic, target, body, headers);

describe("OpenAI → Anthropic: request", () => {
  it.each(requestCases.map(c => [c.name, c] as const))("%s", (_name, { request, expected }) => {
    const { upstream } = translatorFor(request);
    const body: MessageCreateParamsNonStreaming = { model: request.model, ...expected };
    expect(jsonOf(upstream.body)).toEqual(body);
  });

  it("posts to /v1/messages with anthropic-version 2023-06-01", () => {
    const { upstream } = translatorFor(simpleRequest);
    expect(upstream.path).toBe("/v1/messages");
    expect(upstream.headers.set).toEqual({
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    });
    expect(upstream).toMatchObject({ requestedModel: "claude-sonnet-4-5", stream: false });
  });

  it("keeps the client's anthropic-version", () => {
    const { upstream } = translatorFor(simpleRequest, backend, {
      "anthropic-version": "2024-01-01",
    });
    expect(upstream.headers.set["anthropic-version"]).toBeUndefined();
  });

  it("sends the override model and stream: true upstream", () => {
    const { translator, upstream } = translatorFor(
      { ...simpleRequest, stream: true },
      { ...backend, modelNameOverride: "claude-opus-4-1" },
    );
    const expected: MessageCreateParamsStreaming = {
      model: "claude-opus-4-1",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stream: true,
    };
    expect(jsonOf(upstream.body)).toEqual(expected);
    expect(upstream).toMatchObject({
      path: "/v1/messages",
      requestedModel: "claude-sonnet-4-5",
      upstreamModel: "claude-opus-4-1",
      stream: true,
    });
    expect(jsonOf(respond(translator, 200, textResponse).body)).toMatchObject({
      model: "claude-sonnet-4-5",
    });
  });

  it.each(requestErrorCases.map(c => [c.name, c] as const))(
    "rejects %s with a 400 naming the field",
    (_name, { request, param, message }) => {
      expectInvalidRequest(
        rejectionOf(() => translatorFor(request)),
        { message, param },
      );
    },
  );
});

describe("OpenAI → Anthropic: response", () => {
  it("maps text, thinking, id and usage (input includes cache reads and writes)", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, textResponse);
    const expected: ChatCompletionWithReasoning = {
      id: "msg_01",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-sonnet-4-5",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Bonjour !",
            refusal: null,
            reasoning_content: "The user greets me.",
          },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 16,
        completion_tokens: 5,
        total_tokens: 21,
        prompt_tokens_details: { cached_tokens: 4, cache_creation_input_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    };
    expect(jsonOf(response.body)).toEqual(expected);
    expect(response.usage).toEqual({
      inputTokens: 16,
      outputTokens: 5,
      totalTokens: 21,
      cachedInputTokens: 4,
      cacheCreationInputTokens: 2,
      reasoningTokens: 0,
    });
  });

  it("maps tool_use blocks to tool_calls", () => {
    const { translator } = translatorFor(simpleRequest);
    expect(jsonOf(respond(translator, 200, toolUseResponse).body)).toMatchObject({
      id: "msg_02",
      choices: [
        {
          message: {
            content: null,
            tool_calls: [
              {
                id: "toolu_9",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it.each(stopReasonCases)("maps stop_reason %s to %s", (reason, expected) => {
    const { translator } = translatorFor(simpleRequest);
    expect(jsonOf(respond(translator, 200, responseWithStopReason(reason)).body)).toMatchObject({
      choices: [{ finish_reason: expected }],
    });
  });

  it.each(errorCases.map(c => [c.name, c] as const))(
    "maps an Anthropic error: %s",
    (_name, { status, body, expected }) => {
      const { translator } = translatorFor(simpleRequest);
      const response = respond(translator, status, body);
      expect(response.status).toBe(expected.status);
      expect(jsonOf(response.body)).toEqual({
        error: { message: expected.message, type: expected.type, param: null, code: expected.code },
      });
    },
  );

  it("answers a 2xx body that is not JSON with a 502", () => {
    expectNotJsonAnswer(translatorFor(simpleRequest).translator);
  });
});
