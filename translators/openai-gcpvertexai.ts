/**
 * OpenAI `/v1/chat/completions` → Gemini on Vertex AI (`AIServiceBackend` schema `GCPVertexAI`).
 */
import {
  buildGeminiRequest,
  mapFinishReason,
  mapGoogleError,
  openAIToolCallOf,
  sortParts,
  usageFromGemini,
} from "./gemini-helper";
import type { GeminiResponse } from "./gemini-helper";
import { GeminiStreamState } from "./gemini-stream";
import type {
  BackendTarget,
  ClientRequest,
  ClientResponse,
  StreamTranslator,
  Translator,
  TranslatorDeps,
  UpstreamRequest,
  UpstreamResponse,
} from "./types";
import {
  createChatStreamTranslator,
  errorResponse,
  jsonResponse,
  parseChatRequest,
  parseUpstreamJson,
  type RequestFacts,
} from "./shared/chat-translation";
import { openAIUsage } from "./shared/chunk-emitter";
import { jsonBytes } from "./shared/json-bytes";

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
  let facts: RequestFacts | undefined;
  const requestFacts = (): RequestFacts => {
    if (!facts) throw new Error("translateRequest must be called before translating the response");
    return facts;
  };

  return {
    translateRequest(request: ClientRequest): UpstreamRequest {
      const parsed = parseChatRequest(request.body, backend);
      facts = parsed.facts;
      const method = facts.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return {
        path: `publishers/google/models/${facts.upstreamModel}:${method}`,
        headers: { set: { "content-type": "application/json" }, remove: [] },
        body: jsonBytes(buildGeminiRequest(parsed.request)),
        requestedModel: facts.requestedModel,
        upstreamModel: facts.upstreamModel,
        stream: facts.stream,
      };
    },

    translateResponse(response: UpstreamResponse): ClientResponse {
      const text = new TextDecoder().decode(response.body);
      if (response.status < 200 || response.status >= 300) {
        return errorResponse(mapGoogleError(response.status, text));
      }
      const parsed = parseUpstreamJson<GeminiResponse>(text);
      if (!parsed.ok) return parsed.response;
      const gemini = parsed.value;
      const usage = usageFromGemini(gemini.usageMetadata);
      const { requestedModel } = requestFacts();
      return jsonResponse(
        {
          id: gemini.responseId ?? deps.newId(),
          object: "chat.completion",
          created: deps.nowSeconds(),
          model: requestedModel,
          choices: choicesOf(gemini, deps),
          usage: openAIUsage(usage),
        },
        usage,
      );
    },

    createStreamTranslator(): StreamTranslator {
      return createChatStreamTranslator(requestFacts(), deps, emitter => {
        const state = new GeminiStreamState(emitter, deps.newId);
        return { onEvent: data => state.onEvent(JSON.parse(data)), usage: () => state.usage() };
      });
    },
  };
}

function choicesOf(gemini: GeminiResponse, deps: TranslatorDeps) {
  const candidates = gemini.candidates ?? [];
  if (candidates.length === 0 && gemini.promptFeedback?.blockReason) {
    const { blockReason, blockReasonMessage } = gemini.promptFeedback;
    return [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          refusal: blockReasonMessage ?? `The prompt was blocked (${blockReason}).`,
        },
        logprobs: null,
        finish_reason: "content_filter",
      },
    ];
  }
  return candidates.map((candidate, position) => {
    const sorted = sortParts(candidate.content?.parts);
    const toolCalls = sorted.functionCalls.map(call => openAIToolCallOf(call, deps.newId()));
    return {
      index: candidate.index ?? position,
      message: {
        role: "assistant",
        content: sorted.content || (toolCalls.length > 0 ? null : ""),
        refusal: null,
        ...(sorted.reasoning && { reasoning_content: sorted.reasoning }),
        ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
      },
      logprobs: null,
      finish_reason: mapFinishReason(candidate.finishReason ?? "STOP", toolCalls.length > 0),
    };
  });
}
