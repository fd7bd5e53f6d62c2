/**
 * OpenAI `/v1/embeddings` → a backend that speaks the OpenAI API (`AIServiceBackend` schema
 * `OpenAI`).
 */
import { openAIPath } from "./shared/openai-backend-paths";
import { createOpenAIPassthrough } from "./shared/openai-passthrough";
import type { BackendTarget, Translator } from "./types";

/**
 * Creates the translator for one embeddings request: `POST /{version}/embeddings` (`/v1/…` unless
 * `backend.schema.version` names another prefix), with the client's body unchanged but for `model`
 * when `backend.modelNameOverride` is set. Responses pass through as they are.
 */
export function createOpenAIToOpenAIEmbeddings(backend: BackendTarget): Translator {
  return createOpenAIPassthrough(backend, () => openAIPath(backend, "embeddings"));
}
