/**
 * The support matrix: which (client endpoint, backend schema) pairs have a translator.
 */
import type { APISchemaName } from "../api/v1alpha1";
import { TranslationError } from "./errors";
import { createOpenAIToAnthropic } from "./openai-anthropic";
import { createOpenAIToAWSBedrock } from "./openai-awsbedrock";
import { createOpenAIToAWSBedrockEmbeddings } from "./openai-awsbedrock-embeddings";
import { createOpenAIToAzureOpenAIChat } from "./openai-azureopenai";
import { createOpenAIToAzureOpenAIEmbeddings } from "./openai-azureopenai-embeddings";
import { createOpenAIToGCPAnthropic } from "./openai-gcpanthropic";
import { createOpenAIToGCPVertexAI } from "./openai-gcpvertexai";
import { createOpenAIToGCPVertexAIEmbeddings } from "./openai-gcpvertexai-embeddings";
import { createOpenAIToOpenAIChat } from "./openai-openai";
import { createOpenAIToOpenAICompletions } from "./openai-openai-completions";
import { createOpenAIToOpenAIEmbeddings } from "./openai-openai-embeddings";
import type { BackendTarget, ClientEndpoint, Translator, TranslatorDeps } from "./types";

type Factory = (backend: BackendTarget, deps: TranslatorDeps) => Translator;

const TRANSLATORS: Record<ClientEndpoint, Partial<Record<APISchemaName, Factory>>> = {
  "/v1/chat/completions": {
    OpenAI: createOpenAIToOpenAIChat,
    AWSBedrock: createOpenAIToAWSBedrock,
    AzureOpenAI: createOpenAIToAzureOpenAIChat,
    GCPVertexAI: createOpenAIToGCPVertexAI,
    GCPAnthropic: createOpenAIToGCPAnthropic,
    Anthropic: createOpenAIToAnthropic,
  },
  "/v1/embeddings": {
    OpenAI: createOpenAIToOpenAIEmbeddings,
    AWSBedrock: createOpenAIToAWSBedrockEmbeddings,
    AzureOpenAI: createOpenAIToAzureOpenAIEmbeddings,
    GCPVertexAI: createOpenAIToGCPVertexAIEmbeddings,
  },
  "/v1/completions": {
    OpenAI: createOpenAIToOpenAICompletions,
  },
};

/** The endpoints the gateway translates. */
export const SUPPORTED_ENDPOINTS = Object.keys(TRANSLATORS) as ClientEndpoint[];

/** One (client endpoint, backend schema) pair that has a translator. */
export interface SupportedPair {
  endpoint: ClientEndpoint;
  schema: APISchemaName;
}

/** Every pair `createTranslator` serves, endpoint by endpoint, in the order of the matrix above. */
export const SUPPORTED_PAIRS: readonly SupportedPair[] = Object.freeze(
  SUPPORTED_ENDPOINTS.flatMap(endpoint =>
    (Object.keys(TRANSLATORS[endpoint]) as APISchemaName[]).map(schema =>
      Object.freeze({ endpoint, schema }),
    ),
  ),
);

/**
 * The translator for one request to `endpoint` going to `backend`.
 * @throws TranslationError 404 for an endpoint the gateway does not serve, 400 for a backend schema
 * that cannot serve the endpoint.
 */
export function createTranslator(
  endpoint: string,
  backend: BackendTarget,
  deps: TranslatorDeps,
): Translator {
  const pairs = TRANSLATORS[endpoint as ClientEndpoint];
  if (!pairs) {
    throw new TranslationError(
      404,
      `unsupported path: ${endpoint}; the gateway serves ${SUPPORTED_ENDPOINTS.join(", ")}`,
      {
        type: "invalid_request_error",
        code: "unsupported_path",
      },
    );
  }
  const factory = pairs[backend.schema.name];
  if (!factory) {
    const schemas = Object.keys(pairs).join(", ");
    throw new TranslationError(
      400,
      `${endpoint} is not supported for backend schema ${backend.schema.name}; it supports ${schemas}`,
      {
        type: "invalid_request_error",
        code: "unsupported_backend",
      },
    );
  }
  return factory(backend, deps);
}
