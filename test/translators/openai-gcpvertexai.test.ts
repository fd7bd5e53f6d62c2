import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import { vertexPath } from "../../auth/gcp";
import type { BackendTarget } from "../../translators/types";
import {
  blockedPromptResponse,
  errorCases,
  failedToolCallReasons,
  finishReasonCases,
  functionCallResponse,
  requestCases,
  requestErrorCases,
  textResponse,
  twoCandidatesResponse,
  type GenerateContentResponseBody,
} from "./fixtures/openai-gcpvertexai";
import {
  expectNotJsonAnswer,
  jsonOf,
  expectInvalidRequest,
  rejectionOf,
  respond,
  translateChatRequest,
  type ChatCompletionWithReasoning,
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };

const translatorFor = (body: unknown, target: BackendTarget = backend) =>
  translateChatRequest(createOpenAIToGCPVertexAI, target, body);

/** The exact message a client gets for each of `failedToolCallReasons`, with the test's finishMessage. */
const failedToolCallMessages: Record<string, string> = {
  MALFORMED_FUNCTION_CALL:
    "Gemini generated a function call that is not valid and stopped with finishReason MALFORMED_FUNCTION_CALL (Malformed function call: f(x=)); retry the request, or check the tool definitions and tool_choice.",
  UNEXPECTED_TOOL_CALL:
    "Gemini generated a tool call when no tool was enabled and stopped with finishReason UNEXPECTED_TOOL_CALL (Malformed function call: f(x=)); retry the request, or check the tool definitions and tool_choice.",
};

const simpleRequest = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }] };

describe("OpenAI → GCP Vertex AI (Gemini): request", () => {
  it.each(requestCases.map(c => [c.name, c] as const))("%s", (_name, { request, expected }) => {
    const { upstream } = translatorFor(request);
    expect(jsonOf(upstream.body)).toEqual(expected);
  });

  it("targets generateContent under the publisher path the auth layer prefixes", () => {
    const { upstream } = translatorFor(simpleRequest);
    expect(upstream.path).toBe("publishers/google/models/gemini-2.5-flash:generateContent");
    expect(vertexPath("P", "R", upstream.path)).toBe(
      "/v1/projects/P/locations/R/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(upstream).toMatchObject({
      requestedModel: "gemini-2.5-flash",
      upstreamModel: "gemini-2.5-flash",
      stream: false,
    });
    expect(upstream.headers.set["content-type"]).toBe("application/json");
  });

  it("targets streamGenerateContent with alt=sse when streaming", () => {
    const { upstream } = translatorFor({ ...simpleRequest, stream: true });
    expect(upstream.path).toBe(
      "publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
    expect(upstream.stream).toBe(true);
  });

  it("sends the override model upstream and keeps the client's model for the response", () => {
    const { translator, upstream } = translatorFor(simpleRequest, {
      ...backend,
      modelNameOverride: "gemini-2.5-pro",
    });
    expect(upstream.path).toBe("publishers/google/models/gemini-2.5-pro:generateContent");
    expect(upstream.upstreamModel).toBe("gemini-2.5-pro");
    expect(upstream.requestedModel).toBe("gemini-2.5-flash");
    const response = respond(translator, 200, textResponse);
    expect(jsonOf(response.body)).toMatchObject({ model: "gemini-2.5-flash" });
  });

  it("keeps the client's model to one path segment: escaped, and never a path of its own", () => {
    const pathFor = (model: string) => translatorFor({ ...simpleRequest, model }).upstream.path;
    expect(pathFor("gemini 2.5?alt=json#x")).toBe(
      "publishers/google/models/gemini%202.5%3Falt%3Djson%23x:generateContent",
    );
    for (const model of ["../../../projects/other/x", "..", "a/b"]) {
      expectInvalidRequest(
        rejectionOf(() => translatorFor({ ...simpleRequest, model })),
        { message: `model: \`${model}\` is not a Vertex AI model ID`, param: "model" },
      );
    }
  });

  it.each(requestErrorCases.map(c => [c.name, c] as const))(
    "rejects %s",
    (_name, { request, status, param, message }) => {
      expectInvalidRequest(
        rejectionOf(() => translatorFor(request)),
        { message, param, status },
      );
    },
  );
});

describe("OpenAI → GCP Vertex AI (Gemini): response", () => {
  it("maps text, reasoning, id and usage", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, textResponse);
    const expected: ChatCompletionWithReasoning = {
      id: "resp-123",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Bonjour !",
            refusal: null,
            reasoning_content: "Thinking about it. ",
          },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 8,
        total_tokens: 18,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    };
    expect(response.status).toBe(200);
    expect(jsonOf(response.body)).toEqual(expected);
    expect(response.usage).toEqual({
      inputTokens: 10,
      outputTokens: 8,
      totalTokens: 18,
      cachedInputTokens: 4,
      cacheCreationInputTokens: 0,
      reasoningTokens: 3,
    });
  });

  it("maps function calls to tool_calls with generated ids and finish_reason tool_calls", () => {
    const { translator } = translatorFor(simpleRequest);
    const expected: ChatCompletionWithReasoning = {
      id: "id-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: "id-2",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                extra_content: { google: { thought_signature: "c2lnbmF0dXJl" } },
              },
              { id: "id-3", type: "function", function: { name: "get_time", arguments: "{}" } },
            ],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 7,
        completion_tokens: 2,
        total_tokens: 9,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    };
    expect(jsonOf(respond(translator, 200, functionCallResponse).body)).toEqual(expected);
  });

  it("maps each candidate to a choice with its own finish reason", () => {
    const { translator } = translatorFor({ ...simpleRequest, n: 2 });
    const body = jsonOf(respond(translator, 200, twoCandidatesResponse).body);
    expect(body).toMatchObject({
      id: "resp-2",
      choices: [
        { index: 0, message: { content: "Once upon" }, finish_reason: "length" },
        { index: 1, message: { content: "" }, finish_reason: "content_filter" },
      ],
    });
  });

  it("turns a blocked prompt into a content_filter answer", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, blockedPromptResponse);
    expect(response.status).toBe(200);
    const expected: ChatCompletionWithReasoning = {
      id: "resp-blocked",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: "The prompt was blocked (PROHIBITED_CONTENT).",
          },
          logprobs: null,
          finish_reason: "content_filter",
        },
      ],
      usage: {
        prompt_tokens: 6,
        completion_tokens: 0,
        total_tokens: 6,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    };
    expect(jsonOf(response.body)).toEqual(expected);
  });

  it.each(finishReasonCases)("maps finishReason %s to %s", (reason, expected) => {
    const { translator } = translatorFor(simpleRequest);
    const gemini: GenerateContentResponseBody = {
      candidates: [{ content: { role: "model", parts: [{ text: "x" }] }, finishReason: reason }],
    };
    expect(jsonOf(respond(translator, 200, gemini).body)).toMatchObject({
      choices: [{ finish_reason: expected }],
    });
  });

  it("has the exact message for each failed tool-call reason, and no other", () => {
    expect(Object.keys(failedToolCallMessages).sort()).toEqual([...failedToolCallReasons].sort());
  });

  it.each(failedToolCallReasons)(
    "answers finishReason %s with a 502 naming the reason, and still counts the tokens",
    reason => {
      const { translator } = translatorFor(simpleRequest);
      const gemini: GenerateContentResponseBody = {
        candidates: [
          {
            content: { role: "model", parts: [] },
            finishReason: reason,
            finishMessage: "Malformed function call: f(x=)",
          },
        ],
        usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2, totalTokenCount: 9 },
      };
      const response = respond(translator, 200, gemini);
      expect(response.status).toBe(502);
      expect(jsonOf(response.body)).toEqual({
        error: {
          message: failedToolCallMessages[reason],
          type: "api_error",
          param: null,
          code: reason,
        },
      });
      expect(response.usage).toMatchObject({ inputTokens: 7, outputTokens: 2, totalTokens: 9 });
    },
  );

  it.each(errorCases.map(c => [c.name, c] as const))(
    "maps a Google error: %s",
    (_name, { status, body, expected }) => {
      const { translator } = translatorFor(simpleRequest);
      const response = respond(translator, status, body);
      expect(response.status).toBe(expected.status);
      expect(response.headers.set["content-type"]).toBe("application/json");
      expect(jsonOf(response.body)).toEqual({
        error: { message: expected.message, type: expected.type, param: null, code: expected.code },
      });
      expect(response.usage.totalTokens).toBe(0);
    },
  );

  it("answers a 2xx body that is not JSON with a 502", () => {
    expectNotJsonAnswer(translatorFor(simpleRequest).translator);
  });
});
