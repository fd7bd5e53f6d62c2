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
} from "./anthropic-helper";
import { AnthropicStreamState } from "./anthropic-stream";
import type { AnthropicResponse } from "./anthropic-types";
import type { BackendTarget, Translator, TranslatorDeps } from "./types";
import {
  chatCompletionChoice,
  chatCompletionResponse,
  withThinkingBlocks,
} from "./shared/chat-completion";
import { createChatStreamTranslator, createChatTranslator } from "./shared/chat-translation";

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
  return createChatTranslator<AnthropicResponse>(backend, {
    upstreamRequest(request, facts, clientHeaders) {
      return {
        path: upstream.path(facts.upstreamModel, facts.stream),
        headers: upstream.headers(clientHeaders),
        // Object.assign rather than three spreads into a literal: in V8 every spread after the first
        // copies through a slow runtime path, which took longer than building the whole body.
        body: Object.assign(
          {},
          upstream.bodyFields(facts.upstreamModel),
          buildAnthropicBody(request),
          facts.stream ? { stream: true } : undefined,
        ),
      };
    },

    mapError: mapAnthropicError,

    completion(message, facts) {
      return chatCompletionResponse({
        id: message.id ?? deps.newId(),
        created: deps.nowSeconds(),
        model: facts.requestedModel,
        choices: [
          chatCompletionChoice(
            0,
            withThinkingBlocks(sortBlocks(message.content), facts.thinkingBlocks),
            mapStopReason(message.stop_reason) ?? "stop",
          ),
        ],
        usage: usageFromAnthropic(message.usage),
      });
    },

    stream(facts) {
      return createChatStreamTranslator(facts, deps, emitter => {
        const state = new AnthropicStreamState(emitter, facts.thinkingBlocks);
        return { onEvent: data => state.onEvent(JSON.parse(data)), usage: () => state.usage() };
      });
    },
  });
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
