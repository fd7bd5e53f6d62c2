import { createTranslator } from "../../translators";
import { createOpenAIToAWSBedrock } from "../../translators/openai-awsbedrock";
import type { BackendTarget } from "../../translators/types";
import {
  errorCases,
  exceptionCases,
  exceptionResponse,
  requestCases,
  requestErrorCases,
  responseWithStopReason,
  stopReasonCases,
  textResponse,
  toolOnlyResponse,
  toolUseResponse,
  type ConverseBody,
  type ConverseStreamBody,
} from "./fixtures/openai-awsbedrock";
import {
  expectNotJsonAnswer,
  fixedDeps,
  jsonOf,
  expectInvalidRequest,
  rejectionOf,
  respond,
  translateChatRequest,
  type ChatCompletionWithReasoning,
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "AWSBedrock" } };
const model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const simpleRequest = { model, messages: [{ role: "user", content: "Hi" }] };

const translatorFor = (body: unknown, target: BackendTarget = backend) =>
  translateChatRequest(createOpenAIToAWSBedrock, target, body);

describe("OpenAI → AWS Bedrock Converse: request", () => {
  it.each(requestCases.map(c => [c.name, c] as const))("%s", (_name, { request, expected }) => {
    const { upstream } = translatorFor(request);
    expect(jsonOf(upstream.body)).toEqual(expected);
  });

  it("posts to /model/{model}/converse with the model id URI-encoded", () => {
    const { upstream } = translatorFor(simpleRequest);
    expect(upstream).toMatchObject({
      path: "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
      headers: {
        set: { "content-type": "application/json", accept: "application/json" },
        remove: [],
      },
      requestedModel: model,
      upstreamModel: model,
      stream: false,
    });
  });

  it("encodes an inference-profile ARN as one path segment", () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-v2";
    const { upstream } = translatorFor({ ...simpleRequest, model: arn });
    expect(upstream.path).toBe(
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-v2/converse",
    );
  });

  it("streams through /converse-stream with the override model, asking for an event stream", () => {
    const { translator, upstream } = translatorFor(
      { ...simpleRequest, stream: true, stream_options: { include_usage: true } },
      { ...backend, modelNameOverride: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" },
    );
    const expected: ConverseStreamBody = {
      messages: [{ role: "user", content: [{ text: "Hi" }] }],
    };
    expect(jsonOf(upstream.body)).toEqual(expected);
    expect(upstream).toMatchObject({
      path: "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
      headers: {
        set: {
          "content-type": "application/json",
          accept: "application/vnd.amazon.eventstream",
        },
      },
      requestedModel: model,
      upstreamModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      stream: true,
    });
    expect(jsonOf(respond(translator, 200, textResponse).body)).toMatchObject({ model });
  });

  it("is what createTranslator gives for AWSBedrock chat", () => {
    const translator = createTranslator("/v1/chat/completions", backend, fixedDeps());
    const upstream = translator.translateRequest({
      path: "/v1/chat/completions",
      headers: {},
      body: simpleRequest,
    });
    const expected: ConverseBody = { messages: [{ role: "user", content: [{ text: "Hi" }] }] };
    expect(upstream.path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(jsonOf(upstream.body)).toEqual(expected);
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

  it("rejects a body that is not an OpenAI chat request, naming the field", () => {
    expectInvalidRequest(
      rejectionOf(() => translatorFor({ model, messages: [] })),
      { message: "messages: must hold at least one message", param: "messages" },
    );
  });
});

describe("OpenAI → AWS Bedrock Converse: response", () => {
  it("maps text, reasoning and usage (input includes cache reads and writes)", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, textResponse);
    const expected: ChatCompletionWithReasoning = {
      id: "id-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model,
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
    expect(response.status).toBe(200);
    expect(response.headers).toEqual({
      set: { "content-type": "application/json" },
      remove: ["content-length"],
    });
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

  it("maps toolUse blocks to tool_calls in order, leaving out tools Bedrock ran itself", () => {
    const { translator } = translatorFor(simpleRequest);
    const expected: ChatCompletionWithReasoning = {
      id: "id-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Checking both.",
            refusal: null,
            tool_calls: [
              {
                id: "tooluse_a",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              },
              {
                id: "tooluse_b",
                type: "function",
                function: { name: "get_time", arguments: "{}" },
              },
            ],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 7,
        completion_tokens: 3,
        total_tokens: 10,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    };
    expect(jsonOf(respond(translator, 200, toolUseResponse).body)).toEqual(expected);
  });

  it("answers null content for a turn that only calls tools", () => {
    const { translator } = translatorFor(simpleRequest);
    expect(jsonOf(respond(translator, 200, toolOnlyResponse).body)).toMatchObject({
      choices: [{ message: { content: null, tool_calls: [{ id: "tooluse_c" }] } }],
    });
  });

  it("answers empty content, stop and zero usage for a response without output or usage", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, {});
    expect(jsonOf(response.body)).toMatchObject({
      choices: [{ message: { role: "assistant", content: "" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  });

  it.each(stopReasonCases)("maps stopReason %s to %s", (reason, expected) => {
    const { translator } = translatorFor(simpleRequest);
    expect(jsonOf(respond(translator, 200, responseWithStopReason(reason)).body)).toMatchObject({
      choices: [{ finish_reason: expected }],
    });
  });

  it.each(exceptionCases)(
    "maps %s (HTTP %i) from x-amzn-errortype",
    (name, status, { status: expectedStatus, type }) => {
      const { translator } = translatorFor(simpleRequest);
      const upstream = exceptionResponse(name, status);
      const response = respond(translator, upstream.status, upstream.body, upstream.headers);
      expect(response.status).toBe(expectedStatus);
      expect(jsonOf(response.body)).toEqual({
        error: { message: `${name} happened.`, type, param: null, code: name },
      });
      expect(response.usage.totalTokens).toBe(0);
    },
  );

  it.each(errorCases.map(c => [c.name, c] as const))(
    "maps a Bedrock error: %s",
    (_name, { status, headers, body, expected }) => {
      const { translator } = translatorFor(simpleRequest);
      const response = respond(translator, status, body, headers);
      expect(response.status).toBe(expected.status);
      expect(jsonOf(response.body)).toEqual({
        error: { message: expected.message, type: expected.type, param: null, code: expected.code },
      });
    },
  );

  it("answers a 2xx body that is not JSON with a 502", () => {
    expectNotJsonAnswer(translatorFor(simpleRequest).translator);
  });

  it("needs translateRequest first", () => {
    const translator = createOpenAIToAWSBedrock(backend, fixedDeps());
    expect(() => respond(translator, 200, textResponse)).toThrow(
      new Error("translateRequest must be called before translating the response"),
    );
  });
});
