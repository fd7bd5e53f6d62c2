import type {
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
} from "@anthropic-ai/sdk/resources/messages";
import { createOpenAIToGCPAnthropic } from "../../translators/openai-gcpanthropic";
import { vertexPath } from "../../auth/gcp";
import type { BackendTarget } from "../../translators/types";
import {
  errorCases,
  requestCases,
  requestErrorCases,
  textResponse,
} from "./fixtures/openai-anthropic";
import {
  expectInvalidRequest,
  jsonOf,
  rejectionOf,
  respond,
  translateChatRequest,
} from "./stream-split-harness";

/** The Vertex AI body: Anthropic Messages without `model`, plus `anthropic_version`. */
type VertexAnthropicBody = Omit<MessageCreateParamsNonStreaming, "model"> & {
  anthropic_version: string;
};
type VertexAnthropicStreamingBody = Omit<MessageCreateParamsStreaming, "model"> & {
  anthropic_version: string;
};

const backend: BackendTarget = { schema: { name: "GCPAnthropic" } };
const simpleRequest = {
  model: "claude-sonnet-4-5@20250929",
  messages: [{ role: "user", content: "Hi" }],
};

const translatorFor = (body: unknown, target: BackendTarget = backend) =>
  translateChatRequest(createOpenAIToGCPAnthropic, target, body);

describe("OpenAI → GCP Anthropic: request", () => {
  it.each(requestCases.map(c => [c.name, c] as const))("%s", (_name, { request, expected }) => {
    const { upstream } = translatorFor(request);
    const body: VertexAnthropicBody = { anthropic_version: "vertex-2023-10-16", ...expected };
    expect(jsonOf(upstream.body)).toEqual(body);
  });

  it("targets rawPredict under the publisher path the auth layer prefixes, with no model in the body", () => {
    const { upstream } = translatorFor(simpleRequest);
    expect(upstream.path).toBe("publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
    expect(vertexPath("P", "R", upstream.path)).toBe(
      "/v1/projects/P/locations/R/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
    );
    expect(jsonOf(upstream.body)).not.toHaveProperty("model");
    expect(upstream.headers.set).toEqual({ "content-type": "application/json" });
  });

  it("streams through streamRawPredict with stream: true, the schema version and the override", () => {
    const { translator, upstream } = translatorFor(
      { ...simpleRequest, stream: true },
      {
        schema: { name: "GCPAnthropic", version: "vertex-2024-01-01" },
        modelNameOverride: "claude-opus-4-1",
      },
    );
    expect(upstream.path).toBe("publishers/anthropic/models/claude-opus-4-1:streamRawPredict");
    const expected: VertexAnthropicStreamingBody = {
      anthropic_version: "vertex-2024-01-01",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stream: true,
    };
    expect(jsonOf(upstream.body)).toEqual(expected);
    expect(upstream).toMatchObject({
      requestedModel: "claude-sonnet-4-5@20250929",
      upstreamModel: "claude-opus-4-1",
      stream: true,
    });
    expect(translator.createStreamTranslator().headers.set["content-type"]).toBe(
      "text/event-stream",
    );
  });

  it.each(requestErrorCases.map(c => [c.name, c] as const))(
    "refuses %s with a 400 naming the field, as Anthropic's own API does",
    (_name, { request, param, message }) => {
      expectInvalidRequest(
        rejectionOf(() => translatorFor(request)),
        { message, param },
      );
    },
  );
});

describe("OpenAI → GCP Anthropic: response", () => {
  it("maps a Messages response, reporting the client's model", () => {
    const { translator } = translatorFor(simpleRequest);
    const response = respond(translator, 200, textResponse);
    expect(jsonOf(response.body)).toMatchObject({
      id: "msg_01",
      model: "claude-sonnet-4-5@20250929",
      choices: [{ message: { content: "Bonjour !" }, finish_reason: "stop" }],
    });
  });

  it.each(errorCases.map(c => [c.name, c] as const))(
    "maps an Anthropic error: %s",
    (_name, { status, body, expected }) => {
      const { translator } = translatorFor(simpleRequest);
      const response = respond(translator, status, body);
      expect(response.status).toBe(expected.status);
      expect(jsonOf(response.body)).toMatchObject({
        error: { message: expected.message, type: expected.type, code: expected.code },
      });
    },
  );
});
