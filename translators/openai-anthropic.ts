/**
 * OpenAI `/v1/chat/completions` → the Anthropic Messages API (`AIServiceBackend` schema `Anthropic`),
 * and the Messages translation both Anthropic backends share.
 */
import {
  buildAnthropicBody,
  mapAnthropicError,
  mapStopReason,
  sortBlocks,
  usageFromAnthropic,
  type AnthropicResponse,
} from "./anthropic-helper";
import { AnthropicStreamState } from "./anthropic-stream";
import type {
  BackendTarget,
  ClientRequest,
  StreamTranslator,
  Translator,
  TranslatorDeps,
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

/** The Anthropic version sent when the client did not send an `anthropic-version` header. */
export const ANTHROPIC_API_VERSION = "2023-06-01";

/** Where and how one Anthropic API wants a Messages request. */
export interface AnthropicUpstream {
  /** The upstream `:path` for the model, streaming or not. */
  path(model: string, stream: boolean): string;
  /** Fields added to the body (`model`, `anthropic_version`, …). */
  bodyFields(model: string): Record<string, unknown>;
  /** Headers to set, given the client's headers. */
  headers(clientHeaders: Record<string, string>): Record<string, string>;
}

/**
 * The OpenAI chat → Anthropic Messages translator, parameterised by the API variant. Responses report
 * the client's model; `id` is Anthropic's message id; `created` comes from `deps.nowSeconds()`.
 */
export function createAnthropicMessagesTranslator(
  backend: BackendTarget,
  deps: TranslatorDeps,
  upstream: AnthropicUpstream,
): Translator {
  let facts: RequestFacts | undefined;
  const requestFacts = (): RequestFacts => {
    if (!facts) throw new Error("translateRequest must be called before translating the response");
    return facts;
  };

  return {
    translateRequest(request: ClientRequest) {
      const parsed = parseChatRequest(request.body, backend);
      facts = parsed.facts;
      // Object.assign rather than three spreads into a literal: in V8 every spread after the first
      // copies through a slow runtime path, which took longer than building the whole body.
      const body = Object.assign(
        {},
        upstream.bodyFields(facts.upstreamModel),
        buildAnthropicBody(parsed.request),
        facts.stream ? { stream: true } : undefined,
      );
      return {
        path: upstream.path(facts.upstreamModel, facts.stream),
        headers: {
          set: { "content-type": "application/json", ...upstream.headers(request.headers) },
          remove: [],
        },
        body: jsonBytes(body),
        requestedModel: facts.requestedModel,
        upstreamModel: facts.upstreamModel,
        stream: facts.stream,
      };
    },

    translateResponse(response) {
      const text = new TextDecoder().decode(response.body);
      if (response.status < 200 || response.status >= 300) {
        return errorResponse(mapAnthropicError(response.status, text));
      }
      const parsed = parseUpstreamJson<AnthropicResponse>(text);
      if (!parsed.ok) return parsed.response;
      const message = parsed.value;
      const usage = usageFromAnthropic(message.usage);
      const { content, reasoning, toolCalls } = sortBlocks(message.content);
      return jsonResponse(
        {
          id: message.id ?? deps.newId(),
          object: "chat.completion",
          created: deps.nowSeconds(),
          model: requestFacts().requestedModel,
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: content ?? (toolCalls.length > 0 ? null : ""),
                refusal: null,
                ...(reasoning !== null && { reasoning_content: reasoning }),
                ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
              },
              logprobs: null,
              finish_reason: mapStopReason(message.stop_reason) ?? "stop",
            },
          ],
          usage: openAIUsage(usage),
        },
        usage,
      );
    },

    createStreamTranslator(): StreamTranslator {
      return createChatStreamTranslator(requestFacts(), deps, emitter => {
        const state = new AnthropicStreamState(emitter);
        return { onEvent: data => state.onEvent(JSON.parse(data)), usage: () => state.usage() };
      });
    },
  };
}

/** The native Anthropic API: the same for every request, so it is not rebuilt for each one. */
const ANTHROPIC_API: AnthropicUpstream = {
  path: () => "/v1/messages",
  bodyFields: model => ({ model }),
  headers: (clientHeaders): Record<string, string> =>
    clientHeaders["anthropic-version"] ? {} : { "anthropic-version": ANTHROPIC_API_VERSION },
};

/**
 * Creates the translator for one chat request to the Anthropic API: `POST /v1/messages` with `model`
 * in the body (`backend.modelNameOverride` when set) and `anthropic-version: 2023-06-01` unless the
 * client sent its own. The API key header is the auth layer's job.
 *
 * Anthropic requires `max_tokens`; without `max_completion_tokens`/`max_tokens` the request allows
 * `DEFAULT_MAX_TOKENS` (4096). `n` > 1 and JSON `response_format`s are rejected with a 400; `seed` and
 * the penalties are ignored (see `buildAnthropicBody`).
 */
export function createOpenAIToAnthropic(backend: BackendTarget, deps: TranslatorDeps): Translator {
  return createAnthropicMessagesTranslator(backend, deps, ANTHROPIC_API);
}
