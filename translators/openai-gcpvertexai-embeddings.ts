/**
 * OpenAI `/v1/embeddings` → Google's text embedding models on Vertex AI (`AIServiceBackend` schema
 * `GCPVertexAI`) through their `:predict` method: `text-embedding-005`,
 * `text-multilingual-embedding-002`, `gemini-embedding-001`.
 */
import { z } from "zod";
import { mapGoogleError } from "./gemini-helper";
import {
  createEmbeddingsTranslator,
  extraField,
  type EmbeddingsProvider,
  type ProviderEmbeddings,
} from "./shared/openai-embeddings";
import type { BackendTarget, Translator } from "./types";
import { vertexModelPath } from "./shared/vertex-model-path";

// The extra fields' schemas, built once rather than per request.
const TEXT = z.string();
const FLAG = z.boolean();

/** One text to embed, with the task it is embedded for. */
interface VertexEmbeddingInstance {
  content: string;
  /** `RETRIEVAL_QUERY`, `RETRIEVAL_DOCUMENT`, `SEMANTIC_SIMILARITY`, `CLASSIFICATION`, … */
  task_type?: string;
  /** The document's title, for `RETRIEVAL_DOCUMENT`. */
  title?: string;
}

/** The `:predict` body of a text embedding model. */
export interface VertexEmbeddingsRequest {
  instances: VertexEmbeddingInstance[];
  parameters?: {
    outputDimensionality?: number;
    /** Whether a text longer than the model takes is cut (Vertex's default) or refused. */
    autoTruncate?: boolean;
  };
}

/** The `:predict` response: one prediction per instance, in order. */
export interface VertexEmbeddingsResponse {
  predictions?: {
    embeddings?: {
      values?: number[];
      statistics?: { token_count?: number; truncated?: boolean };
    };
  }[];
  metadata?: { billableCharacterCount?: number };
}

/** Vertex AI's side of the embeddings translation: one instance per text, and the vectors back. */
const VERTEX_EMBEDDINGS: EmbeddingsProvider<VertexEmbeddingsResponse> = {
  name: "Vertex AI",

  upstreamRequest(request, facts) {
    const taskType = extraField(request, "task_type", TEXT, "a string");
    const title = extraField(request, "title", TEXT, "a string");
    const autoTruncate = extraField(request, "auto_truncate", FLAG, "a boolean");
    const body: VertexEmbeddingsRequest = {
      instances: facts.texts.map(content => ({
        content,
        ...(taskType !== undefined && { task_type: taskType }),
        ...(title !== undefined && { title }),
      })),
    };
    if (request.dimensions != null || autoTruncate !== undefined) {
      body.parameters = {
        ...(request.dimensions != null && { outputDimensionality: request.dimensions }),
        ...(autoTruncate !== undefined && { autoTruncate }),
      };
    }
    return { path: vertexModelPath("google", facts.upstreamModel, "predict"), body };
  },

  mapError: mapGoogleError,

  embeddings(response): ProviderEmbeddings {
    const predictions = response.predictions ?? [];
    return {
      vectors: predictions.map(prediction => prediction.embeddings?.values),
      inputTokens: predictions.reduce(
        (sum, prediction) => sum + (prediction.embeddings?.statistics?.token_count ?? 0),
        0,
      ),
    };
  },
};

/**
 * Creates the translator for one embeddings request to a text embedding model on Vertex AI.
 *
 * The upstream path is relative to the Vertex project and region, as for chat:
 * `publishers/google/models/{model}:predict`, which the GCP auth layer prefixes with
 * `/v1/projects/{project}/locations/{region}/`. Each text becomes one instance; the extra request
 * fields `task_type` and `title` go on every instance, `dimensions` becomes
 * `parameters.outputDimensionality` and the extra field `auto_truncate` `parameters.autoTruncate`.
 * How many texts one call may hold differs per model (`gemini-embedding-001` takes one); Vertex
 * answers a request over the limit with its own 400, passed on in OpenAI's shape.
 *
 * The response is OpenAI's embeddings list for the client's model, in floats or, with
 * `encoding_format: "base64"`, base64 float32; usage sums the predictions' `token_count`.
 */
export function createOpenAIToGCPVertexAIEmbeddings(backend: BackendTarget): Translator {
  return createEmbeddingsTranslator(backend, VERTEX_EMBEDDINGS);
}
