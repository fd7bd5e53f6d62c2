/**
 * OpenAI `/v1/chat/completions` → a backend that speaks the OpenAI API (`AIServiceBackend` schema
 * `OpenAI`: OpenAI itself, or an OpenAI-compatible server such as vLLM or Groq).
 */
import { openAIPath } from "./shared/openai-backend-paths";
import { GEMINI_ONLY_CHAT_FIELDS } from "./gemini-vendor-fields";
import { createOpenAIPassthrough } from "./shared/openai-passthrough";
import type { BackendTarget, Translator } from "./types";

/**
 * Creates the translator for one chat request: `POST /{version}/chat/completions` (`/v1/…` unless
 * `backend.schema.version` names another prefix), with the client's body unchanged but for `model`
 * when `backend.modelNameOverride` is set, and without the Gemini-only fields
 * (`GEMINI_ONLY_CHAT_FIELDS`). Responses and streams pass through as they are.
 */
export function createOpenAIToOpenAIChat(backend: BackendTarget): Translator {
  return createOpenAIPassthrough(
    backend,
    () => openAIPath(backend, "chat/completions"),
    GEMINI_ONLY_CHAT_FIELDS,
  );
}
