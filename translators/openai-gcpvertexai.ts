/**
 * OpenAI `/v1/chat/completions` → Gemini on Vertex AI (`AIServiceBackend` schema `GCPVertexAI`).
 */
import {
  buildGeminiRequest,
  failedToolCallError,
  mapFinishReason,
  mapGoogleError,
  openAILogprobsOf,
  openAIToolCallOf,
  sortParts,
  usageFromGemini,
} from "./gemini-helper";
import { GeminiStreamState } from "./gemini-stream";
import type { GeminiResponse } from "./gemini-types";
import type { BackendTarget, Translator, TranslatorDeps } from "./types";
import {
  chatCompletionChoice,
  chatCompletionResponse,
  type ChatCompletionChoice,
} from "./shared/chat-completion";
import { createChatStreamTranslator, createChatTranslator } from "./shared/chat-translation";
import { errorResponse } from "./shared/json-exchange";
import { vertexModelPath } from "./shared/vertex-model-path";

/**
 * Creates the translator for one chat request to a Gemini model on Vertex AI.
 *
 * The upstream path is relative to the Vertex project and region:
 * `publishers/google/models/{model}:generateContent`, or
 * `publishers/google/models/{model}:streamGenerateContent?alt=sse` when streaming. The GCP auth layer
 * knows the project and region and prepends `/v1/projects/{project}/locations/{region}/`, so the
 * request finally goes to `/v1/projects/P/locations/R/publishers/google/models/M:generateContent`.
 *
 * The model sent is `backend.modelNameOverride` when set, else the client's; responses report the
 * client's model. Tool-call ids (Gemini has none) come from `deps.newId()`, `created` from
 * `deps.nowSeconds()`.
 */
export function createOpenAIToGCPVertexAI(
  backend: BackendTarget,
  deps: TranslatorDeps,
): Translator {
  return createChatTranslator<GeminiResponse>(backend, {
    upstreamRequest(request, facts) {
      const method = facts.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return {
        path: vertexModelPath("google", facts.upstreamModel, method),
        body: buildGeminiRequest(request, facts.upstreamModel),
      };
    },

    mapError: mapGoogleError,

    completion(gemini, facts) {
      const usage = usageFromGemini(gemini.usageMetadata);
      for (const candidate of gemini.candidates ?? []) {
        const failed = failedToolCallError(candidate);
        // The tokens were spent all the same: the error reports them for accounting.
        if (failed) return { ...errorResponse(failed), usage };
      }
      return chatCompletionResponse({
        id: gemini.responseId ?? deps.newId(),
        created: deps.nowSeconds(),
        model: facts.requestedModel,
        choices: choicesOf(gemini, deps, facts.thinkingBlocks),
        usage,
      });
    },

    stream(facts) {
      return createChatStreamTranslator(facts, deps, emitter => {
        const state = new GeminiStreamState(emitter, deps.newId, facts.thinkingBlocks);
        return { onEvent: data => state.onEvent(JSON.parse(data)), usage: () => state.usage() };
      });
    },
  });
}

function choicesOf(
  gemini: GeminiResponse,
  deps: TranslatorDeps,
  thinkingBlocks: boolean,
): ChatCompletionChoice[] {
  const candidates = gemini.candidates ?? [];
  if (candidates.length === 0 && gemini.promptFeedback?.blockReason) {
    const { blockReason, blockReasonMessage } = gemini.promptFeedback;
    const refusal = blockReasonMessage ?? `The prompt was blocked (${blockReason}).`;
    return [
      chatCompletionChoice(
        0,
        { content: null, reasoning: null, toolCalls: [], refusal },
        "content_filter",
      ),
    ];
  }
  return candidates.map((candidate, position) => {
    const sorted = sortParts(candidate.content?.parts);
    const toolCalls = sorted.functionCalls.map(call => openAIToolCallOf(call, deps.newId()));
    return chatCompletionChoice(
      candidate.index ?? position,
      // sortParts gives "" when there is no text: no content, and no reasoning_content.
      {
        content: sorted.content || null,
        reasoning: sorted.reasoning || null,
        toolCalls,
        ...(thinkingBlocks && { thinkingBlocks: sorted.thinkingBlocks }),
      },
      mapFinishReason(candidate.finishReason ?? "STOP", toolCalls.length > 0),
      openAILogprobsOf(candidate.logprobsResult),
    );
  });
}
