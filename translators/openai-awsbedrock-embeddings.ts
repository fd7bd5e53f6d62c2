/**
 * OpenAI `/v1/embeddings` → AWS Bedrock `InvokeModel` (`AIServiceBackend` schema `AWSBedrock`), for
 * the two embedding model families whose bodies Bedrock documents: Amazon Titan Text Embeddings and
 * Cohere Embed. Each family has its own body, so the model name chooses it.
 */
import { z } from "zod";
import { bedrockModelPath, mapBedrockError } from "./awsbedrock-helper";
import { badRequest } from "./errors";
import {
  createEmbeddingsTranslator,
  extraField,
  type EmbeddingsFacts,
  type EmbeddingsProvider,
  type EmbeddingsRequest,
  type ProviderEmbeddings,
} from "./shared/openai-embeddings";
import type { BackendTarget, Translator } from "./types";

/** The `InvokeModel` body of Amazon Titan Text Embeddings (v1 takes `inputText` only). */
export interface TitanEmbeddingsRequest {
  inputText: string;
  /** v2: 1024 (default), 512 or 256. */
  dimensions?: number;
  /** v2: whether the vector is scaled to unit length (Bedrock's default: true). */
  normalize?: boolean;
}

export interface TitanEmbeddingsResponse {
  embedding?: number[];
  inputTextTokenCount?: number;
}

/** The `InvokeModel` body of Cohere Embed v3 and v4, text only. */
export interface CohereEmbeddingsRequest {
  texts: string[];
  input_type: CohereInputType;
  embedding_types: ["float"];
  truncate?: string;
  /** v4: 256, 512, 1024 or 1536 (default). */
  output_dimension?: number;
}

/**
 * A Cohere Embed response: `embeddings` is a list of vectors when no `embedding_types` was asked
 * for (`response_type: "embeddings_floats"`), else an object keyed by type (`"embeddings_by_type"`).
 */
export interface CohereEmbeddingsResponse {
  id?: string;
  response_type?: string;
  embeddings?: number[][] | { float?: number[][] };
  texts?: string[];
}

// The extra fields' schemas, built once rather than per request.
const NORMALIZE = z.boolean();
const COHERE_INPUT_TYPE = z.enum([
  "search_document",
  "search_query",
  "classification",
  "clustering",
]);
type CohereInputType = z.infer<typeof COHERE_INPUT_TYPE>;
// v4 names the ends LEFT and RIGHT, v3 START and END.
const COHERE_TRUNCATE = {
  v3: z.enum(["NONE", "START", "END"]),
  v4: z.enum(["NONE", "LEFT", "RIGHT"]),
};

/**
 * The `input_type` Cohere Embed needs when the client sends none. OpenAI's API has no such field; a
 * document embedding is what most clients store, and Cohere's guidance pairs it with `search_query`
 * for the queries, which a client asks for with the extra field.
 */
const DEFAULT_COHERE_INPUT_TYPE = "search_document";

/**
 * Bedrock sends the input tokens of an `InvokeModel` call in this response header; a Cohere Embed
 * body carries no count of its own.
 */
const INPUT_TOKEN_COUNT_HEADER = "x-amzn-bedrock-input-token-count";

/** The families this file translates for, by what their model ids contain. */
type Family = "titan-v1" | "titan-v2" | "cohere-v3" | "cohere-v4";

/** What Bedrock documents of each family, as far as the translation needs it. */
interface FamilyFacts {
  /** Its name in messages. */
  title: string;
  /** How many texts one call takes. */
  textsPerCall: number;
  /** The output sizes a client may choose (`dimensions`); none when the size is fixed. */
  dimensions?: readonly number[];
  /** For a family of fixed size: the family whose size a client may choose instead. */
  sizedSuccessor?: Family;
  /** The base model id, for messages. */
  id: string;
}

const FAMILIES: Readonly<Record<Family, FamilyFacts>> = {
  "titan-v1": {
    title: "Amazon Titan Text Embeddings v1",
    textsPerCall: 1,
    sizedSuccessor: "titan-v2",
    id: "amazon.titan-embed-text-v1",
  },
  "titan-v2": {
    title: "Amazon Titan Text Embeddings v2",
    textsPerCall: 1,
    dimensions: [256, 512, 1024],
    id: "amazon.titan-embed-text-v2:0",
  },
  "cohere-v3": {
    title: "Cohere Embed v3",
    textsPerCall: 96,
    sizedSuccessor: "cohere-v4",
    id: "cohere.embed-english-v3",
  },
  "cohere-v4": {
    title: "Cohere Embed v4",
    textsPerCall: 96,
    dimensions: [256, 512, 1024, 1536],
    id: "cohere.embed-v4:0",
  },
};

/**
 * The family of a Bedrock model id, inference profile id (`us.cohere.embed-v4:0`) or ARN that holds
 * one; undefined when it names none of them.
 */
function embeddingFamilyOf(model: string): Family | undefined {
  if (model.includes("amazon.titan-embed-text-v2")) return "titan-v2";
  if (/amazon\.titan-embed-(text-v1|g1-text)/.test(model)) return "titan-v1";
  if (model.includes("cohere.embed-v4")) return "cohere-v4";
  if (model.includes("cohere.embed-")) return "cohere-v3";
  return undefined;
}

function familyFor(model: string): Family {
  const family = embeddingFamilyOf(model);
  if (family) return family;
  throw badRequest(
    `model: ${model} is not a Bedrock embedding model the gateway translates for. It takes Amazon ` +
      "Titan Text Embeddings (amazon.titan-embed-text-v1, amazon.titan-embed-text-v2:0) and Cohere " +
      "Embed (cohere.embed-english-v3, cohere.embed-multilingual-v3, cohere.embed-v4:0): name one, " +
      "or an inference profile or ARN that holds its id, as the model or the backend's " +
      "modelNameOverride.",
    "model",
  );
}

/** `256, 512 or 1024` */
const oneOf = (sizes: readonly number[]) =>
  `${sizes.slice(0, -1).join(", ")} or ${sizes[sizes.length - 1]}`;

/**
 * The texts of a request, within the family's per-call limit: the gateway sends one upstream
 * request per client request, so it cannot split a longer list.
 */
function textsWithinLimit(facts: EmbeddingsFacts, family: Family): string[] {
  const { title, textsPerCall } = FAMILIES[family];
  const count = facts.texts.length;
  if (count <= textsPerCall) return facts.texts;
  const most = Math.max(...Object.values(FAMILIES).map(other => other.textsPerCall));
  const advice =
    textsPerCall === 1
      ? `Send one request per text, or use a Cohere Embed model, which takes up to ${most}.`
      : "Split it.";
  throw badRequest(
    `input: ${title} takes ${textsPerCall === 1 ? "one text" : `at most ${textsPerCall} texts`} per request, and this request has ${count}. ${advice}`,
    "input",
  );
}

/** The output size a request chooses, when the family lets it choose one of that size. */
function chosenDimensions(request: EmbeddingsRequest, family: Family): number | undefined {
  const wanted = request.dimensions;
  if (wanted == null) return undefined;
  const { title, dimensions, sizedSuccessor } = FAMILIES[family];
  if (!dimensions) {
    const successor = FAMILIES[sizedSuccessor!];
    throw badRequest(
      `dimensions: ${title} returns a fixed number of dimensions; use ${successor.id} to choose ${oneOf(successor.dimensions!)}.`,
      "dimensions",
    );
  }
  if (!dimensions.includes(wanted)) {
    throw badRequest(
      `dimensions: ${title} returns ${oneOf(dimensions)} dimensions, not ${wanted}.`,
      "dimensions",
    );
  }
  return wanted;
}

function titanRequest(
  request: EmbeddingsRequest,
  facts: EmbeddingsFacts,
  family: "titan-v1" | "titan-v2",
): TitanEmbeddingsRequest {
  const [inputText] = textsWithinLimit(facts, family);
  const dimensions = chosenDimensions(request, family);
  const normalize = extraField(request, "normalize", NORMALIZE, "a boolean");
  if (family === "titan-v1" && normalize !== undefined) {
    throw badRequest(
      `normalize: ${FAMILIES[family].title} does not take it; only v2 does.`,
      "normalize",
    );
  }
  return {
    inputText,
    ...(dimensions !== undefined && { dimensions }),
    ...(normalize !== undefined && { normalize }),
  };
}

function cohereRequest(
  request: EmbeddingsRequest,
  facts: EmbeddingsFacts,
  family: "cohere-v3" | "cohere-v4",
): CohereEmbeddingsRequest {
  const texts = textsWithinLimit(facts, family);
  const inputType =
    extraField(
      request,
      "input_type",
      COHERE_INPUT_TYPE,
      `one of ${COHERE_INPUT_TYPE.options.join(", ")}`,
    ) ?? DEFAULT_COHERE_INPUT_TYPE;
  const version = family === "cohere-v4" ? "v4" : "v3";
  const truncate = extraField(
    request,
    "truncate",
    COHERE_TRUNCATE[version],
    `one of ${COHERE_TRUNCATE[version].options.join(", ")} for this model`,
  );
  const dimensions = chosenDimensions(request, family);
  return {
    texts,
    input_type: inputType,
    // Asked for by type, so v3 and v4 answer in the same shape; OpenAI's encodings both start from
    // floats.
    embedding_types: ["float"],
    ...(truncate !== undefined && { truncate }),
    ...(dimensions !== undefined && { output_dimension: dimensions }),
  };
}

/** The header's input token count, 0 when it is missing or not a count. */
function headerTokenCount(headers: Record<string, string>): number {
  const count = Number(headers[INPUT_TOKEN_COUNT_HEADER]);
  return Number.isSafeInteger(count) && count >= 0 ? count : 0;
}

function cohereVectors(response: CohereEmbeddingsResponse): readonly unknown[] {
  const embeddings = response.embeddings;
  if (Array.isArray(embeddings)) return embeddings;
  return Array.isArray(embeddings?.float) ? embeddings.float : [];
}

/** Bedrock's side of the embeddings translation: the body by model family, and the vectors back. */
const BEDROCK_EMBEDDINGS: EmbeddingsProvider<TitanEmbeddingsResponse & CohereEmbeddingsResponse> = {
  name: "AWS Bedrock",

  upstreamRequest(request, facts) {
    const family = familyFor(facts.upstreamModel);
    return {
      path: bedrockModelPath(facts.upstreamModel, "invoke"),
      headers: { accept: "application/json" },
      body:
        family === "titan-v1" || family === "titan-v2"
          ? titanRequest(request, facts, family)
          : cohereRequest(request, facts, family),
    };
  },

  mapError: mapBedrockError,

  embeddings(response, headers, facts): ProviderEmbeddings {
    // The request side refused a model of no known family, so this is the family it sent to.
    if (embeddingFamilyOf(facts.upstreamModel)?.startsWith("cohere")) {
      return { vectors: cohereVectors(response), inputTokens: headerTokenCount(headers) };
    }
    return {
      vectors: response.embedding === undefined ? [] : [response.embedding],
      inputTokens: response.inputTextTokenCount ?? headerTokenCount(headers),
    };
  },
};

/**
 * Creates the translator for one embeddings request to a Bedrock embedding model.
 *
 * The request goes to `POST /model/{model}/invoke` with the model (`backend.modelNameOverride` when
 * set, else the client's) URI-encoded into the path; signing is the AWS auth layer's job, over the
 * translated path and body. The model id chooses the body:
 * - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v1`, `…-v2:0`): `inputText`, one text per
 *   call (a request with more is refused with a 400 naming the limit: the gateway sends one upstream
 *   request per client request). v2 takes `dimensions` (256, 512, 1024) and the extra field
 *   `normalize`; v1 takes neither.
 * - Cohere Embed (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`):
 *   `texts` (up to 96), `input_type` from the extra field of that name (`search_document` by
 *   default), `truncate` from the extra field of that name, and for v4 `dimensions` as
 *   `output_dimension` (256, 512, 1024, 1536).
 *
 * The response is OpenAI's embeddings list for the client's model, in floats or, with
 * `encoding_format: "base64"`, base64 float32. Usage counts Titan's `inputTextTokenCount`, or for
 * Cohere (whose body has no count) the `X-Amzn-Bedrock-Input-Token-Count` response header. Bedrock
 * errors become OpenAI errors as in chat.
 */
export function createOpenAIToAWSBedrockEmbeddings(backend: BackendTarget): Translator {
  return createEmbeddingsTranslator(backend, BEDROCK_EMBEDDINGS);
}
