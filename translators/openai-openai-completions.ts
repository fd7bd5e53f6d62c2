/**
 * OpenAI `/v1/completions` (legacy text completions) → a backend that speaks the OpenAI API
 * (`AIServiceBackend` schema `OpenAI`).
 */
import { openAIPath } from "./shared/openai-backend-paths";
import { createOpenAIPassthrough } from "./shared/openai-passthrough";
import type { BackendTarget, Translator } from "./types";

/**
 * Creates the translator for one completions request: `POST /{version}/completions` (`/v1/…` unless
 * `backend.schema.version` names another prefix), with the client's body unchanged but for `model`
 * when `backend.modelNameOverride` is set. Responses and streams pass through as they are.
 */
export function createOpenAIToOpenAICompletions(backend: BackendTarget): Translator {
  return createOpenAIPassthrough(backend, () => openAIPath(backend, "completions"));
}
