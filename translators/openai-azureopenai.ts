/**
 * OpenAI `/v1/chat/completions` → Azure OpenAI (`AIServiceBackend` schema `AzureOpenAI`).
 */
import { azureOpenAIPath } from "./shared/openai-backend-paths";
import { GEMINI_ONLY_CHAT_FIELDS } from "./gemini-vendor-fields";
import { createOpenAIPassthrough } from "./shared/openai-passthrough";
import type { BackendTarget, Translator } from "./types";

/**
 * Creates the translator for one chat request:
 * `POST /openai/deployments/{model}/chat/completions?api-version={backend.schema.version}`, where the
 * model (`backend.modelNameOverride` when set) names the deployment; the body goes unchanged but for
 * that `model` and the Gemini-only fields (`GEMINI_ONLY_CHAT_FIELDS`), which it leaves out.
 * Responses and streams pass through as they are.
 * The request side throws a `TranslationError` (500) when the backend has no schema version.
 */
export function createOpenAIToAzureOpenAIChat(backend: BackendTarget): Translator {
  return createOpenAIPassthrough(
    backend,
    model => azureOpenAIPath(backend, model, "chat/completions"),
    GEMINI_ONLY_CHAT_FIELDS,
  );
}
