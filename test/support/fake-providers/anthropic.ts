/**
 * The Anthropic Messages API, native (`POST /v1/messages`, `x-api-key`, `anthropic-version` header,
 * `model` in the body) and on Vertex AI (`…/publishers/anthropic/models/{model}:rawPredict` or
 * `:streamRawPredict`, a Google bearer token, `anthropic_version` in the body). Both answer the same
 * message and `event:`/`data:` stream; on Vertex the front end's own errors (auth, unknown path,
 * quota) come in Google's shape, the model's in Anthropic's.
 */
import {
  FIXED_CREATED,
  TOOL_TRIGGER,
  arrayOf,
  cacheSplit,
  isRecord,
  jsonPieces,
  jsonReply,
  replyText,
  sseReply,
  textDeltas,
  textGarbage,
  textOfContent,
  tokenCount,
  toolArguments,
  toolPreamble,
} from "./conversation";
import { checkGoogleBearer, googleError, vertexModelPath } from "./google";
import type { ProviderModule, ProviderReply, RoutedRequest } from "./types";

type Flavour = "anthropic" | "gcpanthropic";

const ANTHROPIC_ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: "Invalid request." },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  403: {
    type: "permission_error",
    message: "Your API key does not have permission to use the specified resource.",
  },
  404: { type: "not_found_error", message: "Not found" },
  413: {
    type: "request_too_large",
    message: "Request exceeds the maximum allowed number of bytes.",
  },
  429: {
    type: "rate_limit_error",
    message: "Number of request tokens has exceeded your per-minute rate limit.",
  },
  500: { type: "api_error", message: "Internal server error" },
  // Anthropic says "overloaded" with its own 529; a 503 in front of it reads the same.
  503: { type: "overloaded_error", message: "Overloaded" },
  529: { type: "overloaded_error", message: "Overloaded" },
};

/** Statuses Vertex AI's front end answers itself, in Google's shape. */
const VERTEX_FRONT_END_STATUSES = new Set([401, 403, 404, 429]);

export function createAnthropicModule(flavour: Flavour): ProviderModule {
  const vertex = flavour === "gcpanthropic";

  const error = (status: number, details: { errorType?: string; message?: string } = {}) => {
    if (vertex && VERTEX_FRONT_END_STATUSES.has(status)) return googleError(status, details);
    const known = ANTHROPIC_ERRORS[status] ?? ANTHROPIC_ERRORS[status >= 500 ? 500 : 400];
    const requestId = "req_011CFakeProviderRequest";
    return jsonReply(
      status,
      {
        type: "error",
        error: { type: details.errorType ?? known.type, message: details.message ?? known.message },
        request_id: requestId,
      },
      { "request-id": requestId },
    );
  };

  return {
    route(method, path) {
      if (method === "GET" && !vertex && path === "/v1/models") {
        return { operation: "models", model: "", stream: false };
      }
      if (method !== "POST") return undefined;
      if (!vertex)
        return path === "/v1/messages"
          ? { operation: "chat", model: "", stream: false }
          : undefined;
      const target = vertexModelPath(path, "anthropic");
      if (!target || !["rawPredict", "streamRawPredict"].includes(target.method)) return undefined;
      return {
        operation: "chat",
        model: target.model,
        stream: target.method === "streamRawPredict",
      };
    },

    authenticate(request, options) {
      if (vertex) return checkGoogleBearer(request, options);
      // API keys come in `x-api-key`; the SDK sends them as a bearer token, which the API takes too.
      const key = request.headers["x-api-key"] ?? bearerOf(request.headers.authorization);
      return key === options.apiKey ? undefined : error(401);
    },

    error,

    notFound: () => (vertex ? googleError(404) : error(404, { message: "Not Found" })),

    answer(routed, options) {
      if (routed.call.operation === "models") {
        const data = options.listedModels.map(id => ({
          type: "model",
          id,
          display_name: id,
          created_at: new Date(FIXED_CREATED * 1000).toISOString(),
        }));
        return jsonReply(200, {
          data,
          has_more: false,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
        });
      }
      const body = routed.request.body;
      if (!isRecord(body))
        return error(400, { message: "There was an error parsing the body of your request." });
      const invalid = invalidField(flavour, routed, body);
      if (invalid) return error(400, { message: invalid });
      if (!vertex) routed.call.model = String(body.model);
      // Vertex AI streams only when the body asks for it too, like the native API.
      routed.call.stream = body.stream === true;
      return messages(flavour, routed, body);
    },

    garbage: textGarbage,
  };
}

function bearerOf(authorization: string | undefined): string | undefined {
  return authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined;
}

/** The message a 400 names for a required field or header that is missing. */
function invalidField(
  flavour: Flavour,
  routed: RoutedRequest,
  body: Record<string, unknown>,
): string | undefined {
  if (flavour === "anthropic" && !routed.request.headers["anthropic-version"]) {
    return "anthropic-version: header is required";
  }
  if (flavour === "gcpanthropic" && typeof body.anthropic_version !== "string") {
    return "anthropic_version: Field required";
  }
  if (flavour === "anthropic" && typeof body.model !== "string") return "model: Field required";
  if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
  if (arrayOf(body.messages).length === 0) return "messages: Field required";
  return undefined;
}

const event = (body: { type: string; [field: string]: unknown }) =>
  `event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`;

function messages(
  flavour: Flavour,
  routed: RoutedRequest,
  body: Record<string, unknown>,
): ProviderReply {
  let lastUserText = "";
  let promptText = textOfContent(body.system);
  for (const message of arrayOf(body.messages)) {
    if (!isRecord(message)) continue;
    const text = textOfContent(message.content);
    promptText += text;
    if (message.role === "user" && text !== "") lastUserText = text;
  }
  const firstTool = arrayOf(body.tools)[0];
  const toolChoice = isRecord(body.tool_choice) ? body.tool_choice.type : undefined;
  const toolName =
    isRecord(firstTool) && toolChoice !== "none" && TOOL_TRIGGER.test(lastUserText)
      ? String(firstTool.name)
      : undefined;
  const text = toolName ? toolPreamble(toolName) : replyText(flavour, lastUserText);
  const input = toolArguments(lastUserText);
  // The prompt up to the last block with cache_control is written to the cache.
  const cache = cacheSplit(
    tokenCount(promptText),
    [
      ...arrayOf(body.system),
      ...arrayOf(body.messages).flatMap(message => arrayOf(isRecord(message) && message.content)),
    ],
    block => isRecord(block) && isRecord(block.cache_control),
  );
  const outputTokens = tokenCount(text) + (toolName ? tokenCount(JSON.stringify(input)) : 0);
  const stopReason = toolName ? "tool_use" : "end_turn";
  const id = `msg_fake${String(routed.sequence).padStart(4, "0")}`;
  const toolUseId = `toolu_fake${routed.sequence}`;
  const usage = {
    input_tokens: cache.input,
    cache_creation_input_tokens: cache.cacheWrite,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
  const headers = { "request-id": `req_fake${FIXED_CREATED}${routed.sequence}` };

  if (!routed.call.stream) {
    return jsonReply(
      200,
      {
        id,
        type: "message",
        role: "assistant",
        model: routed.call.model,
        content: [
          { type: "text", text },
          ...(toolName ? [{ type: "tool_use", id: toolUseId, name: toolName, input }] : []),
        ],
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      },
      headers,
    );
  }

  const events = [
    event({
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model: routed.call.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    event({ type: "ping" }),
    ...textDeltas(text).map(delta =>
      event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: delta } }),
    ),
    event({ type: "content_block_stop", index: 0 }),
  ];
  if (toolName) {
    events.push(
      event({
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: toolUseId, name: toolName, input: {} },
      }),
      ...jsonPieces(JSON.stringify(input)).map(piece =>
        event({
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: piece },
        }),
      ),
      event({ type: "content_block_stop", index: 1 }),
    );
  }
  events.push(
    event({
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    event({ type: "message_stop" }),
  );
  return sseReply(events, headers);
}
