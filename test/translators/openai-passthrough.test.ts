import { createTranslator } from "../../translators";
import { TranslationError } from "../../translators/errors";
import type { BackendTarget } from "../../translators/types";

const deps = { nowSeconds: () => 1_700_000_000, newId: () => "id-1" };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (bytes: Uint8Array) => JSON.parse(decoder.decode(bytes));

const chat = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: false };
const translate = (endpoint: string, backend: BackendTarget, body: unknown = chat) =>
  createTranslator(endpoint, backend, deps).translateRequest({ path: endpoint, headers: {}, body });

describe("OpenAI-speaking backends", () => {
  it("sends chat completions under the schema version as path prefix, body unchanged", () => {
    const upstream = translate("/v1/chat/completions", {
      schema: { name: "OpenAI", version: "openai/v1" },
    });
    expect(upstream.path).toBe("/openai/v1/chat/completions");
    expect(json(upstream.body)).toEqual(chat);
    expect(upstream.headers.set["content-length"]).toBe(String(upstream.body.length));
    expect([upstream.requestedModel, upstream.upstreamModel, upstream.stream]).toEqual([
      "gpt-4o-mini",
      "gpt-4o-mini",
      false,
    ]);
  });

  it("applies modelNameOverride to the body only", () => {
    const upstream = translate("/v1/chat/completions", {
      schema: { name: "OpenAI" },
      modelNameOverride: "llama-3",
    });
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(json(upstream.body).model).toBe("llama-3");
    expect(upstream.requestedModel).toBe("gpt-4o-mini");
  });

  it("sends Azure OpenAI requests to the deployment named by the model, with the api-version", () => {
    const backend: BackendTarget = {
      schema: { name: "AzureOpenAI", version: "2024-10-21" },
      modelNameOverride: "gpt-4o-prod",
    };
    expect(translate("/v1/chat/completions", backend).path).toBe(
      "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
    );
    expect(translate("/v1/embeddings", backend, { model: "e", input: "x" }).path).toBe(
      "/openai/deployments/gpt-4o-prod/embeddings?api-version=2024-10-21",
    );
  });

  it("serves embeddings and completions on OpenAI", () => {
    expect(
      translate("/v1/embeddings", { schema: { name: "OpenAI" } }, { model: "m", input: "x" }).path,
    ).toBe("/v1/embeddings");
    expect(
      translate("/v1/completions", { schema: { name: "OpenAI" } }, { model: "m", prompt: "x" })
        .path,
    ).toBe("/v1/completions");
  });

  it("rejects a body without a model", () => {
    expect(() =>
      translate("/v1/chat/completions", { schema: { name: "OpenAI" } }, { messages: [] }),
    ).toThrow(new TranslationError(400, "model: a model name is required"));
  });

  it("reads token usage from a complete response, cached and reasoning tokens included", () => {
    const translator = createTranslator(
      "/v1/chat/completions",
      { schema: { name: "OpenAI" } },
      deps,
    );
    translator.translateRequest({ path: "/v1/chat/completions", headers: {}, body: chat });
    const body = encoder.encode(
      JSON.stringify({
        object: "chat.completion",
        usage: {
          prompt_tokens: 10,
          completion_tokens: 5,
          total_tokens: 15,
          prompt_tokens_details: { cached_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      }),
    );
    const response = translator.translateResponse({ status: 200, headers: {}, body });
    expect(response.body).toBe(body);
    expect(response.usage).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      cachedInputTokens: 4,
      cacheCreationInputTokens: 0,
      reasoningTokens: 2,
    });
  });

  it("wraps a provider error that is not OpenAI-shaped, keeping its status", () => {
    const translator = createTranslator(
      "/v1/chat/completions",
      { schema: { name: "OpenAI" } },
      deps,
    );
    const response = translator.translateResponse({
      status: 503,
      headers: {},
      body: encoder.encode("upstream overloaded"),
    });
    expect(response.status).toBe(503);
    expect(json(response.body)).toEqual({
      error: { message: "upstream overloaded", type: "api_error", param: null, code: "503" },
    });
  });

  it("passes a stream through byte for byte, split anywhere, and reads the usage chunk", () => {
    const stream = encoder.encode(
      'data: {"choices":[{"index":0,"delta":{"content":"h\u00e9"}}]}\n\n' +
        'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\ndata: [DONE]\n\n',
    );
    for (let split = 0; split <= stream.length; split++) {
      const translator = createTranslator(
        "/v1/chat/completions",
        { schema: { name: "OpenAI" } },
        deps,
      ).createStreamTranslator();
      const out = [
        translator.push(stream.slice(0, split)),
        translator.push(stream.slice(split)),
        translator.end(),
      ];
      expect(decoder.decode(Buffer.concat(out))).toBe(decoder.decode(stream));
      expect(translator.usage().totalTokens).toBe(5);
    }
  });

  it("reads the usage chunk of a stream whose other chunks say usage null, however it is spaced", () => {
    const translator = createTranslator(
      "/v1/chat/completions",
      { schema: { name: "OpenAI" } },
      deps,
    ).createStreamTranslator();
    translator.push(
      encoder.encode(
        'data: {"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n' +
          'data: {"choices": [], "usage" : {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}}\n\n' +
          'data: {"choices":[{"index":0,"delta":{}}],"usage":null}\n\ndata: [DONE]\n\n',
      ),
    );
    translator.end();
    expect(translator.usage()).toEqual({
      inputTokens: 4,
      outputTokens: 1,
      totalTokens: 5,
      cachedInputTokens: 0,
      cacheCreationInputTokens: 0,
      reasoningTokens: 0,
    });
  });
});
