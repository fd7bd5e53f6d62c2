/**
 * OpenAI `/v1/chat/completions` → Anthropic models on Vertex AI (`AIServiceBackend` schema
 * `GCPAnthropic`).
 */
import { createAnthropicMessagesTranslator } from "./openai-anthropic";
import { vertexModelPath } from "./shared/vertex-model-path";
import type { BackendTarget, Translator, TranslatorDeps } from "./types";

/** The `anthropic_version` Vertex AI expects when the backend's schema names none. */
export const DEFAULT_VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

/**
 * Creates the translator for one chat request to an Anthropic model on Vertex AI.
 *
 * The upstream path is relative to the Vertex project and region:
 * `publishers/anthropic/models/{model}:rawPredict`, or `:streamRawPredict` when streaming. The GCP
 * auth layer prepends `/v1/projects/{project}/locations/{region}/`. The model lives only in the path
 * (`backend.modelNameOverride` when set); the body is Anthropic Messages without `model`, with
 * `anthropic_version` = `backend.schema.version` or `vertex-2023-10-16`, and `stream: true` when
 * streaming. Mapping limits are those of `createOpenAIToAnthropic`.
 */
export function createOpenAIToGCPAnthropic(
  backend: BackendTarget,
  deps: TranslatorDeps,
): Translator {
  const anthropicVersion = backend.schema.version ?? DEFAULT_VERTEX_ANTHROPIC_VERSION;
  return createAnthropicMessagesTranslator(backend, deps, {
    path: (model, stream) =>
      vertexModelPath("anthropic", model, stream ? "streamRawPredict" : "rawPredict"),
    bodyFields: () => ({ anthropic_version: anthropicVersion }),
    headers: () => ({}),
  });
}
