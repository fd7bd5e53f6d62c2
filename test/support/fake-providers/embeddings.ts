/**
 * Embeddings as the fakes answer them: a unit vector drawn from each text's hash, so the same text
 * always embeds the same, and the native answers of the embedding models behind Bedrock
 * `InvokeModel` (Amazon Titan Text, Cohere Embed) and Vertex AI `:predict`.
 */
import { createHash } from "node:crypto";
import { arrayOf, isRecord, jsonReply, tokenCount } from "./conversation";
import type { ProviderReply, RoutedRequest } from "./types";

/** The dimension of a fake embedding when the request names none (real models have 1536 or so). */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/** A unit vector drawn from the input's hash: the same input always embeds the same. */
export function vectorOf(input: string, dimensions: number): number[] {
  const digest = createHash("sha256").update(input).digest();
  const raw = Array.from({ length: dimensions }, (_, i) => digest[i % digest.length] / 255 - 0.5);
  const norm = Math.hypot(...raw) || 1;
  // Float32 values, so that the float and base64 encodings carry the same numbers.
  return raw.map(value => Math.fround(value / norm));
}

const dimensionsOf = (value: unknown) =>
  typeof value === "number" ? value : DEFAULT_EMBEDDING_DIMENSIONS;

/** A Bedrock error reply, as the Bedrock fake writes them. */
type BedrockErrorOf = (status: number, name: string, message: string) => ProviderReply;

/**
 * `POST /model/{model}/invoke` of an embedding model: Titan Text (`inputText` → `embedding`,
 * `inputTextTokenCount`) or Cohere Embed (`texts` and a required `input_type` → `embeddings`, as a
 * list or by type when `embedding_types` is set, and no token count in the body). Every answer
 * carries the input token count in `x-amzn-bedrock-input-token-count`, as Bedrock's do; a model of
 * neither family is refused as Bedrock refuses an unknown model id.
 */
export function bedrockInvokeEmbeddings(
  routed: RoutedRequest,
  body: Record<string, unknown>,
  error: BedrockErrorOf,
): ProviderReply {
  const model = routed.call.model;
  const malformed = (detail: string) =>
    error(
      400,
      "ValidationException",
      `Malformed input request: ${detail}, please reformat your input and try again.`,
    );
  const reply = (answer: Record<string, unknown>, inputTokens: number) =>
    jsonReply(200, answer, {
      "x-amzn-requestid": `fake-invoke-${routed.sequence}`,
      "x-amzn-bedrock-input-token-count": String(inputTokens),
      "x-amzn-bedrock-invocation-latency": "42",
    });

  if (model.includes("amazon.titan-embed-text")) {
    if (typeof body.inputText !== "string")
      return malformed("#: required key [inputText] not found");
    const inputTextTokenCount = tokenCount(body.inputText);
    const embedding = vectorOf(body.inputText, dimensionsOf(body.dimensions));
    return reply(
      { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount },
      inputTextTokenCount,
    );
  }

  if (model.includes("cohere.embed")) {
    const texts = arrayOf(body.texts);
    if (texts.length === 0 || !texts.every(text => typeof text === "string")) {
      return malformed("#: required key [texts] not found");
    }
    if (typeof body.input_type !== "string") {
      return malformed("#: required key [input_type] not found");
    }
    const vectors = (texts as string[]).map(text =>
      vectorOf(text, dimensionsOf(body.output_dimension)),
    );
    const byType = Array.isArray(body.embedding_types);
    return reply(
      {
        id: `fake-embed-${routed.sequence}`,
        response_type: byType ? "embeddings_by_type" : "embeddings_floats",
        embeddings: byType ? { float: vectors } : vectors,
        texts,
      },
      texts.reduce((sum: number, text) => sum + tokenCount(text as string), 0),
    );
  }

  return error(400, "ValidationException", "The provided model identifier is invalid.");
}

/** A Google error reply, as the Vertex fakes write them. */
type GoogleErrorOf = (status: number, details?: { message?: string }) => ProviderReply;

/**
 * `POST …/publishers/google/models/{model}:predict` of a text embedding model: `instances` of
 * `{content}` → `predictions` of `{embeddings:{values, statistics:{truncated, token_count}}}`, sized
 * by `parameters.outputDimensionality`.
 */
export function vertexPredictEmbeddings(
  body: Record<string, unknown>,
  error: GoogleErrorOf,
): ProviderReply {
  const instances = arrayOf(body.instances);
  const contents = instances.map(instance =>
    isRecord(instance) && typeof instance.content === "string" ? instance.content : undefined,
  );
  if (contents.length === 0 || contents.some(content => content === undefined)) {
    return error(400, { message: "Invalid JSON payload: every instance needs a content string." });
  }
  const parameters = isRecord(body.parameters) ? body.parameters : {};
  const dimensions = dimensionsOf(parameters.outputDimensionality);
  return jsonReply(200, {
    predictions: (contents as string[]).map(content => ({
      embeddings: {
        values: vectorOf(content, dimensions),
        statistics: { truncated: false, token_count: tokenCount(content) },
      },
    })),
    metadata: {
      billableCharacterCount: (contents as string[]).reduce((sum, text) => sum + text.length, 0),
    },
  });
}
