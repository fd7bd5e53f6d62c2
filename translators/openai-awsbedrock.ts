/**
 * OpenAI `/v1/chat/completions` → the AWS Bedrock Converse API (`AIServiceBackend` schema
 * `AWSBedrock`): `Converse` for complete responses, `ConverseStream` for streaming.
 */
import {
  buildConverseRequest,
  mapBedrockError,
  mapStopReason,
  sortContent,
  usageFromConverse,
  type ConverseResponse,
} from "./awsbedrock-helper";
import { ConverseStreamState } from "./awsbedrock-stream";
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
import { createEventStreamReader, type EventStreamMessage } from "./shared/aws-eventstream";
import {
  createFramedStreamTranslator,
  errorResponse,
  jsonResponse,
  parseChatRequest,
  parseUpstreamJson,
  type RequestFacts,
} from "./shared/chat-translation";
import { openAIUsage } from "./shared/chunk-emitter";
import { jsonBytes } from "./shared/json-bytes";

/** The upstream `:path` of a Converse call; the model id (or ARN) is URI-encoded into it. */
export function conversePath(model: string, stream: boolean): string {
  return `/model/${encodeURIComponent(model)}/${stream ? "converse-stream" : "converse"}`;
}

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
  let facts: RequestFacts | undefined;
  const requestFacts = (): RequestFacts => {
    if (!facts) throw new Error("translateRequest must be called before translating the response");
    return facts;
  };

  return {
    translateRequest(request: ClientRequest): UpstreamRequest {
      const parsed = parseChatRequest(request.body, backend);
      facts = parsed.facts;
      const body = buildConverseRequest(parsed.request);
      return {
        path: conversePath(facts.upstreamModel, facts.stream),
        headers: {
          set: {
            "content-type": "application/json",
            accept: facts.stream ? "application/vnd.amazon.eventstream" : "application/json",
          },
          remove: [],
        },
        body: jsonBytes(body),
        requestedModel: facts.requestedModel,
        upstreamModel: facts.upstreamModel,
        stream: facts.stream,
      };
    },

    translateResponse(response: UpstreamResponse): ClientResponse {
      const text = new TextDecoder().decode(response.body);
      if (response.status < 200 || response.status >= 300) {
        return errorResponse(mapBedrockError(response.status, response.headers, text));
      }
      const parsed = parseUpstreamJson<ConverseResponse>(text);
      if (!parsed.ok) return parsed.response;
      const converse = parsed.value;
      const usage = usageFromConverse(converse.usage);
      const { content, reasoning, toolCalls } = sortContent(converse.output?.message?.content);
      return jsonResponse(
        {
          id: deps.newId(),
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
              finish_reason: mapStopReason(converse.stopReason),
            },
          ],
          usage: openAIUsage(usage),
        },
        usage,
      );
    },

    createStreamTranslator(): StreamTranslator {
      return createFramedStreamTranslator<EventStreamMessage>(
        requestFacts(),
        deps,
        createEventStreamReader,
        emitter => {
          const state = new ConverseStreamState(emitter);
          return {
            onEvent: message => state.onMessage(message),
            end: () => state.end(),
            usage: () => state.usage(),
          };
        },
      );
    },
  };
}
