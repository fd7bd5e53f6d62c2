/**
 * OpenAI `/v1/chat/completions` → the AWS Bedrock Converse API (`AIServiceBackend` schema
 * `AWSBedrock`): `Converse` for complete responses, `ConverseStream` for streaming.
 */
import {
  bedrockModelPath,
  buildConverseRequest,
  mapBedrockError,
  mapStopReason,
  sortContent,
  usageFromConverse,
} from "./awsbedrock-helper";
import { ConverseStreamState } from "./awsbedrock-stream";
import type { ConverseResponse } from "./awsbedrock-types";
import type { BackendTarget, Translator, TranslatorDeps } from "./types";
import { createEventStreamReader, type EventStreamMessage } from "./shared/aws-eventstream";
import {
  chatCompletionChoice,
  chatCompletionResponse,
  withThinkingBlocks,
} from "./shared/chat-completion";
import { createChatTranslator, createFramedStreamTranslator } from "./shared/chat-translation";

/**
 * Creates the translator for one chat request to a Bedrock model through Converse.
 *
 * The request goes to `POST /model/{model}/converse`, or `/converse-stream` when the client streams,
 * with the model (`backend.modelNameOverride` when set, else the client's; a model id, inference
 * profile id or ARN) URI-encoded into the path, and `accept: application/vnd.amazon.eventstream` when
 * streaming. Signing is the AWS auth layer's job, over the translated path and body.
 *
 * Responses report the client's model, with `id` from `deps.newId()` (Converse has none) and
 * `created` from `deps.nowSeconds()`. The streamed AWS event-stream frames become OpenAI chunks; a
 * frame that fails its checksum, an exception frame, or a stream cut short before `messageStop` ends
 * the stream with an OpenAI error event. What maps and what is rejected is listed on
 * `buildConverseRequest`.
 */
export function createOpenAIToAWSBedrock(backend: BackendTarget, deps: TranslatorDeps): Translator {
  return createChatTranslator<ConverseResponse>(backend, {
    upstreamRequest(request, facts) {
      return {
        path: bedrockModelPath(facts.upstreamModel, facts.stream ? "converse-stream" : "converse"),
        headers: {
          accept: facts.stream ? "application/vnd.amazon.eventstream" : "application/json",
        },
        body: buildConverseRequest(request, facts.upstreamModel),
      };
    },

    mapError: mapBedrockError,

    completion(converse, facts) {
      return chatCompletionResponse({
        id: deps.newId(),
        created: deps.nowSeconds(),
        model: facts.requestedModel,
        choices: [
          chatCompletionChoice(
            0,
            withThinkingBlocks(
              sortContent(converse.output?.message?.content),
              facts.thinkingBlocks,
            ),
            mapStopReason(converse.stopReason),
          ),
        ],
        usage: usageFromConverse(converse.usage),
      });
    },

    stream(facts) {
      return createFramedStreamTranslator<EventStreamMessage>(
        facts,
        deps,
        createEventStreamReader,
        emitter => {
          const state = new ConverseStreamState(emitter, facts.thinkingBlocks);
          return {
            onEvent: message => state.onMessage(message),
            end: () => state.end(),
            usage: () => state.usage(),
          };
        },
      );
    },
  });
}
