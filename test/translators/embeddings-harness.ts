/**
 * Test helpers for the OpenAI-embeddings → provider translators: running a request through a
 * translator, the tests every pair shares (request cases, refusals, provider errors), and the
 * official OpenAI SDK's `embeddings.create` against a translator and a canned provider answer, so
 * that what the SDK sends by default (base64) and how it decodes our answer are the SDK's own.
 */
import OpenAI from "openai";
import { createTranslator } from "../../translators";
import type {
  BackendTarget,
  ClientResponse,
  TokenUsage,
  Translator,
  UpstreamRequest,
} from "../../translators/types";
import type { RequestCase, RequestErrorCase } from "./fixtures/openai-embeddings";
import {
  bytesOf,
  expectInvalidRequest,
  fixedDeps,
  jsonOf,
  rejectionOf,
  respond,
} from "./stream-split-harness";

/** One embeddings pair under test: how to build its translator, for which backend. */
export interface EmbeddingsPair {
  factory: (backend: BackendTarget) => Translator;
  backend: BackendTarget;
}

/**
 * A fresh translator of the pair (with the model override when given) that has translated
 * `request`, and the upstream request.
 */
export function translatorOf(
  pair: EmbeddingsPair,
  request: unknown,
  override?: string,
): { translator: Translator; upstream: UpstreamRequest } {
  const backend = override ? { ...pair.backend, modelNameOverride: override } : pair.backend;
  const translator = pair.factory(backend);
  const upstream = translator.translateRequest({
    path: "/v1/embeddings",
    headers: {},
    body: request,
  });
  return { translator, upstream };
}

/** The `TokenUsage` of an embeddings answer that counted `inputTokens`: input only. */
export function inputOnlyUsage(inputTokens: number): TokenUsage {
  return {
    inputTokens,
    outputTokens: 0,
    totalTokens: inputTokens,
    cachedInputTokens: 0,
    cacheCreationInputTokens: 0,
    reasoningTokens: 0,
  };
}

/** What the translator sent upstream when the SDK made its call, with the SDK's result. */
export interface SdkEmbeddingsCall {
  sent: unknown;
  upstream: UpstreamRequest;
  result: OpenAI.CreateEmbeddingResponse;
}

/**
 * `client.embeddings.create(params)` with the OpenAI SDK, answered by the pair's translator with the
 * provider's 200 `providerBody`.
 */
export async function sdkEmbeddings(
  pair: EmbeddingsPair,
  params: OpenAI.EmbeddingCreateParams,
  providerBody: unknown,
): Promise<SdkEmbeddingsCall> {
  let sent: unknown;
  let upstream: UpstreamRequest | undefined;
  const client = new OpenAI({
    apiKey: "sk-test",
    baseURL: "http://gateway.test/v1",
    maxRetries: 0,
    fetch: async (_url, init) => {
      sent = JSON.parse(String(init?.body));
      const translated = translatorOf(pair, sent);
      upstream = translated.upstream;
      const answer = translated.translator.translateResponse({
        status: 200,
        headers: {},
        body: bytesOf(providerBody),
      });
      return new Response(answer.body, {
        status: answer.status,
        headers: answer.headers.set,
      });
    },
  });
  const result = await client.embeddings.create(params);
  return { sent, upstream: upstream!, result };
}

/** Registers one test per request case: the path, body, headers and models sent upstream. */
export function itTranslatesRequests<B>(
  pair: EmbeddingsPair,
  cases: RequestCase<B>[],
  headers: Record<string, string>,
): void {
  it.each(cases.map(c => [c.name, c] as const))(
    "%s",
    (_name, { request, override, path, expected }) => {
      const { upstream } = translatorOf(pair, request, override);
      expect(upstream.path).toBe(path);
      expect(jsonOf(upstream.body)).toEqual(expected);
      expect(upstream.headers).toEqual({ set: headers, remove: [] });
      expect(upstream).toMatchObject({
        requestedModel: request.model,
        upstreamModel: override ?? request.model,
        stream: false,
      });
    },
  );
}

/** Registers one test per refused request: a 400 `TranslationError` naming the field. */
export function itRefusesRequests(pair: EmbeddingsPair, cases: RequestErrorCase[]): void {
  it.each(cases.map(c => [c.name, c] as const))(
    "refuses %s with a 400 naming the field",
    (_name, { request, param, message }) => {
      expectInvalidRequest(
        rejectionOf(() => translatorOf(pair, request)),
        { message, param },
      );
    },
  );
}

/** A provider HTTP error, and the OpenAI error it must become. */
export interface ProviderErrorCase {
  name: string;
  status: number;
  headers?: Record<string, string>;
  body: string;
  expected: { status: number; type: string; code: string | null; message: string };
}

/** Registers one test per provider error: the OpenAI error body, with no usage. */
export function itMapsProviderErrors(
  pair: EmbeddingsPair,
  request: unknown,
  cases: ProviderErrorCase[],
): void {
  it.each(cases.map(c => [c.name, c] as const))(
    "maps a provider error: %s",
    (_name, { status, headers, body, expected }) => {
      const { translator } = translatorOf(pair, request);
      const response = respond(translator, status, body, headers);
      expect(response.status).toBe(expected.status);
      expect(response.headers.set["content-type"]).toBe("application/json");
      expect(jsonOf(response.body)).toEqual({
        error: { message: expected.message, type: expected.type, param: null, code: expected.code },
      });
      expect(response.usage).toEqual(inputOnlyUsage(0));
    },
  );
}

/** Expects the 502 of a 2xx provider body that does not hold one vector per input. */
export function expectNoEmbeddingsFor(response: ClientResponse, inputs: number): void {
  expect(response.status).toBe(502);
  expect(jsonOf(response.body)).toEqual({
    error: {
      message: `the upstream response does not hold one embedding for each of the ${inputs} inputs`,
      type: "api_error",
      param: null,
      code: null,
    },
  });
  expect(response.usage).toEqual(inputOnlyUsage(0));
}

/** A complete 2xx provider body through the translator, and the embeddings list it became. */
export function embeddingsOf(
  translator: Translator,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = respond(translator, 200, body, headers);
  return { response, list: jsonOf(response.body) as OpenAI.CreateEmbeddingResponse };
}

/** Registers the test that `createTranslator` serves the pair with this factory, never streaming. */
export function itIsTheRegisteredPair(pair: EmbeddingsPair, body: object, path: string): void {
  it(`is what createTranslator gives for ${pair.backend.schema.name} embeddings, never streaming`, () => {
    const translator = createTranslator("/v1/embeddings", pair.backend, fixedDeps());
    const upstream = translator.translateRequest({
      path: "/v1/embeddings",
      headers: {},
      body: { ...body, stream: true },
    });
    expect(upstream).toMatchObject({ path, stream: false });
  });
}
