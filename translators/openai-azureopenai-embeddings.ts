/**
 * OpenAI `/v1/embeddings` → Azure OpenAI (`AIServiceBackend` schema `AzureOpenAI`).
 */
import { azureOpenAIPath } from "./shared/openai-backend-paths";
import { createOpenAIPassthrough } from "./shared/openai-passthrough";
import type { BackendTarget, Translator } from "./types";

/**
 * Creates the translator for one embeddings request:
 * `POST /openai/deployments/{model}/embeddings?api-version={backend.schema.version}`, where the model
 * (`backend.modelNameOverride` when set) names the deployment; the body goes unchanged but for that
 * `model`. Responses pass through as they are.
 * The request side throws a `TranslationError` (500) when the backend has no schema version.
 */
export function createOpenAIToAzureOpenAIEmbeddings(backend: BackendTarget): Translator {
  return createOpenAIPassthrough(backend, model => azureOpenAIPath(backend, model, "embeddings"));
}
