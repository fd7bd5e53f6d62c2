/**
 * The glue every OpenAI-embeddings → provider translator in this folder needs around its provider
 * mapping: validating the client body, applying the model override, turning the input into texts,
 * and writing the provider's vectors back as an OpenAI embeddings list (floats, or base64 float32 as
 * the OpenAI SDKs ask for by default). `createEmbeddingsTranslator` puts these together around one
 * provider's mapping.
 */
import { z } from "zod";
import { badRequest } from "../errors";
import type { BackendTarget, ClientResponse, TokenUsage, Translator } from "../types";
import {
  errorResponse,
  jsonResponse,
  jsonUpstreamRequest,
  translateJsonResponse,
  type UpstreamErrorMapper,
} from "./json-exchange";
import { invalidFieldError } from "./request-validation";
import { NO_USAGE } from "./token-usage";

/**
 * The OpenAI embeddings request, as far as translators read it. Parsing is permissive: fields not
 * named here pass through, so that each provider can read the extra fields it takes (the OpenAI
 * SDKs send extra body fields as they are given).
 */
const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union(
      [z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))],
      { error: "must be a string or an array of strings" },
    ),
    encoding_format: z.enum(["float", "base64"]).nullish(),
    dimensions: z.number().int().positive().nullish(),
    user: z.string().nullish(),
  })
  .loose();

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** What the response side needs to remember about the request. */
export interface EmbeddingsFacts {
  /** The model the client asked for; the response reports it. */
  requestedModel: string;
  /** The model sent upstream (after `modelNameOverride`). */
  upstreamModel: string;
  /** How the client wants each vector written; OpenAI's default is `float`. */
  encodingFormat: "float" | "base64";
  /** The texts to embed, in the client's order (a single string is a list of one). */
  texts: string[];
}

/**
 * Validates an OpenAI embeddings body and works out the models, the encoding and the texts.
 * `provider` names the backend in the message refusing token-id input, which only OpenAI's own
 * models read.
 * @throws TranslationError (400) naming the first invalid field.
 */
function parseEmbeddingsRequest(
  body: unknown,
  backend: BackendTarget,
  provider: string,
): { request: EmbeddingsRequest; facts: EmbeddingsFacts } {
  const result = embeddingsRequestSchema.safeParse(body);
  // The first issue as zod gives it, not `parseOrBadRequest`'s innermost one: `input`'s union has a
  // message of its own, which says what input takes better than any one alternative does.
  if (!result.success) throw invalidFieldError(result.error.issues[0]);
  const request = result.data;
  return {
    request,
    facts: {
      requestedModel: request.model,
      upstreamModel: backend.modelNameOverride ?? request.model,
      encodingFormat: request.encoding_format ?? "float",
      texts: textsOf(request.input, provider),
    },
  };
}

function textsOf(input: EmbeddingsRequest["input"], provider: string): string[] {
  if (typeof input === "string") return [input];
  if (input.length === 0) {
    throw badRequest("input: give a string or a non-empty array of strings.", "input");
  }
  if (input.every(item => typeof item === "string")) return input as string[];
  throw badRequest(
    `input: ${provider} embeds text; token ids cannot be sent to it. Send the text as a string or an array of strings.`,
    "input",
  );
}

/**
 * An optional extra request field a provider takes, read with a type check.
 * @throws TranslationError (400) naming the field and the type it must have.
 */
export function extraField<T>(
  request: EmbeddingsRequest,
  name: string,
  schema: z.ZodType<T>,
  expected: string,
): T | undefined {
  const value = request[name];
  if (value === undefined || value === null) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`${name}: must be ${expected}.`, name);
  return result.data;
}

/** The usage of an embeddings call: input tokens only. */
function embeddingsUsage(inputTokens: number): TokenUsage {
  return { ...NO_USAGE, inputTokens, totalTokens: inputTokens };
}

/**
 * A vector as the OpenAI API writes it with `encoding_format: "base64"`: its float32 values in
 * little-endian order, base64-encoded.
 */
function base64Float32(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return Buffer.from(bytes).toString("base64");
}

/** The OpenAI embeddings list for the provider's vectors, one per text in the request's order. */
function embeddingsResponse(
  vectors: readonly (readonly number[])[],
  inputTokens: number,
  facts: EmbeddingsFacts,
): ClientResponse {
  const usage = embeddingsUsage(inputTokens);
  return jsonResponse(
    {
      object: "list",
      data: vectors.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: facts.encodingFormat === "base64" ? base64Float32(vector) : vector,
      })),
      model: facts.requestedModel,
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    },
    usage,
  );
}

/** The vectors and input tokens a provider read out of its 2xx response. */
export interface ProviderEmbeddings {
  /** One vector (a list of numbers) per text, in the request's order; checked by the caller. */
  vectors: readonly unknown[];
  inputTokens: number;
}

/**
 * What one provider adds to the OpenAI embeddings translation; `createEmbeddingsTranslator` does the
 * rest. Written as methods, as `ChatProvider` is, for the same reason.
 */
export interface EmbeddingsProvider<R> extends UpstreamErrorMapper {
  /** The provider's name, for messages (`AWS Bedrock`). */
  readonly name: string;
  /**
   * Where the validated request goes and what it carries: the upstream path, the headers to set
   * besides `content-type: application/json`, and the body (sent as JSON).
   * @throws TranslationError (400) for a request the provider's model cannot take.
   */
  upstreamRequest(
    request: EmbeddingsRequest,
    facts: EmbeddingsFacts,
  ): { path: string; headers?: Record<string, string>; body: unknown };
  /**
   * The vectors and token count of a 2xx body, already parsed as JSON; `headers` are the response's
   * (lower-case keys), for a provider that counts tokens there.
   */
  embeddings(
    response: R,
    headers: Record<string, string>,
    facts: EmbeddingsFacts,
  ): ProviderEmbeddings;
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(item => typeof item === "number");
}

/** The client's embeddings list, or a 502 when the provider did not give one vector per text. */
function clientEmbeddings(read: ProviderEmbeddings, facts: EmbeddingsFacts): ClientResponse {
  const { vectors } = read;
  if (vectors.length !== facts.texts.length || !vectors.every(isVector)) {
    return errorResponse({
      status: 502,
      type: "api_error",
      message: `the upstream response does not hold one embedding for each of the ${facts.texts.length} inputs`,
      code: null,
    });
  }
  return embeddingsResponse(vectors as number[][], read.inputTokens, facts);
}

/**
 * An OpenAI embeddings translator around one provider's mapping, for one request. It validates the
 * client body (a 400 naming the first invalid field), applies `modelNameOverride`, and keeps what the
 * response side needs; a non-2xx response becomes an OpenAI error through `provider.mapError`, and a
 * 2xx body that is not JSON, or holds no vector per text, a 502. Embeddings never stream: the request
 * is sent with `stream: false` whatever the client says, and `createStreamTranslator` throws. The
 * response side throws when `translateRequest` was not called.
 */
export function createEmbeddingsTranslator<R>(
  backend: BackendTarget,
  provider: EmbeddingsProvider<R>,
): Translator {
  let facts: EmbeddingsFacts | undefined;
  return {
    translateRequest(request) {
      const parsed = parseEmbeddingsRequest(request.body, backend, provider.name);
      facts = parsed.facts;
      return jsonUpstreamRequest(provider.upstreamRequest(parsed.request, facts), facts);
    },

    translateResponse(response) {
      const requestFacts = facts;
      if (!requestFacts)
        throw new Error("translateRequest must be called before translating the response");
      return translateJsonResponse<R>(response, provider, body =>
        clientEmbeddings(provider.embeddings(body, response.headers, requestFacts), requestFacts),
      );
    },

    createStreamTranslator() {
      throw new Error("embeddings responses do not stream");
    },
  };
}
