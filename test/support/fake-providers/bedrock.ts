/**
 * AWS Bedrock Converse: `POST /model/{model id, URL-encoded}/converse` answers a `ConverseResponse`;
 * `/converse-stream` streams `application/vnd.amazon.eventstream` frames (`messageStart`,
 * `contentBlockDelta`, …, `metadata`), each payload padded with Bedrock's `p` field. `/invoke` of a
 * Titan Text or Cohere Embed model answers embeddings. Requests must carry a SigV4 signature
 * (service `bedrock`) over the expected credentials; errors are `{"message": …}` named by the
 * `x-amzn-errortype` header.
 */
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { verifySigV4 } from "../../auth/support/sigv4-verifier";
import {
  TOOL_TRIGGER,
  arrayOf,
  cacheSplit,
  isRecord,
  jsonPieces,
  jsonReply,
  replyText,
  textDeltas,
  textGarbage,
  tokenCount,
  toolArguments,
  toolPreamble,
} from "./conversation";
import { dimensionsOf, vectorOf } from "./embeddings";
import type {
  FakeProviderRequest,
  ProviderModule,
  ProviderReply,
  ResolvedOptions,
  RoutedRequest,
} from "./types";

const SIGNING_SERVICE = "bedrock";
const REQUEST_ID = "7f3c5e2a-9d1b-4c6e-8a4f-0b2d6e8f1a3c";

/** The exception Bedrock names for each status. */
const EXCEPTIONS: Record<number, { name: string; message: string }> = {
  400: { name: "ValidationException", message: "The provided request is not valid." },
  403: {
    name: "AccessDeniedException",
    message: "You don't have access to the model with the specified model ID.",
  },
  404: { name: "ResourceNotFoundException", message: "The requested resource could not be found." },
  408: { name: "ModelTimeoutException", message: "The model took too long to respond." },
  424: { name: "ModelErrorException", message: "The model returned an error." },
  429: {
    name: "ThrottlingException",
    message: "Too many requests, please wait before trying again.",
  },
  500: { name: "InternalServerException", message: "The server encountered an internal error." },
  503: { name: "ServiceUnavailableException", message: "The service is temporarily unavailable." },
};

/** An error as Bedrock's REST JSON protocol sends it: the name in a header, the message in the body. */
function bedrockError(status: number, name: string, message: string): ProviderReply {
  return jsonReply(
    status,
    { message },
    {
      "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      "x-amzn-requestid": REQUEST_ID,
    },
  );
}

export function createBedrockModule(): ProviderModule {
  return {
    route(method, path) {
      const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
      if (method !== "POST" || !match) return undefined;
      return {
        operation: match[2] === "invoke" ? "embeddings" : "chat",
        model: decodeURIComponent(match[1]),
        stream: match[2] === "converse-stream",
      };
    },

    authenticate: checkSigV4,

    error(status, details = {}) {
      const known = EXCEPTIONS[status] ?? EXCEPTIONS[status >= 500 ? 500 : 400];
      return bedrockError(
        status,
        details.errorType ?? known.name,
        details.message ?? known.message,
      );
    },

    // API Gateway in front of Bedrock knows no operation on another path.
    notFound: () => bedrockError(404, "UnknownOperationException", "Unknown operation"),

    answer(routed) {
      const body = routed.request.body;
      if (!isRecord(body)) {
        return bedrockError(400, "SerializationException", "Could not parse the request body.");
      }
      if (routed.call.operation === "embeddings") {
        return invokeEmbeddings(routed, body);
      }
      if (arrayOf(body.messages).length === 0) {
        return bedrockError(
          400,
          "ValidationException",
          "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null",
        );
      }
      return converse(routed, body);
    },

    garbage(reply) {
      if (!reply.stream) return textGarbage(reply);
      // A real frame with one payload byte changed: its message CRC no longer matches.
      const frame = Buffer.from(reply.pieces[0]);
      frame[frame.length - 6] ^= 0xff;
      return frame;
    },
  };
}

function headerOf(request: FakeProviderRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The checks AWS makes, in its order, with the exception it names for each failure. */
function checkSigV4(request: FakeProviderRequest, options: ResolvedOptions) {
  const authorization = headerOf(request, "authorization");
  if (!authorization) {
    return bedrockError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  const invalidToken = () =>
    bedrockError(
      403,
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  if (!scope) {
    return bedrockError(
      403,
      "IncompleteSignatureException",
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.",
    );
  }
  if (scope[1] !== options.aws.region) {
    return bedrockError(
      403,
      "InvalidSignatureException",
      `Credential should be scoped to a valid region, not '${scope[1]}'.`,
    );
  }
  if (scope[2] !== SIGNING_SERVICE) {
    return bedrockError(
      403,
      "InvalidSignatureException",
      `Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`,
    );
  }
  const { sessionToken } = options.aws;
  if (sessionToken !== undefined && headerOf(request, "x-amz-security-token") !== sessionToken) {
    return invalidToken();
  }
  const verification = verifySigV4(
    { method: request.method, url: request.url, headers: request.headers, body: request.rawBody },
    accessKeyId =>
      accessKeyId === options.aws.accessKeyId ? options.aws.secretAccessKey : undefined,
  );
  if (verification.ok) return undefined;
  if (verification.reason === "unknown access key") return invalidToken();
  return bedrockError(
    403,
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  );
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** One event frame; `p` pads the payload as Bedrock does, its length a function of the position. */
function frame(position: number, eventType: string, payload: Record<string, unknown>): Buffer {
  const headers: MessageHeaders = {
    ":event-type": { type: "string", value: eventType },
    ":content-type": { type: "string", value: "application/json" },
    ":message-type": { type: "string", value: "event" },
  };
  const p = PADDING.slice(0, ((position * 7) % PADDING.length) + 1);
  return Buffer.from(codec.encode({ headers, body: fromUtf8(JSON.stringify({ ...payload, p })) }));
}

/**
 * `POST /model/{model}/invoke` of an embedding model: Titan Text (`inputText` → `embedding`,
 * `inputTextTokenCount`) or Cohere Embed (`texts` and a required `input_type` → `embeddings`, as a
 * list or by type when `embedding_types` is set, and no token count in the body). Every answer
 * carries the input token count in `x-amzn-bedrock-input-token-count`, as Bedrock's do; a model of
 * neither family is refused as Bedrock refuses an unknown model id.
 */
function invokeEmbeddings(routed: RoutedRequest, body: Record<string, unknown>): ProviderReply {
  const model = routed.call.model;
  const malformed = (detail: string) =>
    bedrockError(
      400,
      "ValidationException",
      `Malformed input request: ${detail}, please reformat your input and try again.`,
    );
  const reply = (answer: Record<string, unknown>, inputTokens: number) =>
    jsonReply(200, answer, {
      "x-amzn-requestid": `fake-invoke-${routed.sequence}`,
      "x-amzn-bedrock-input-token-count": String(inputTokens),
      "x-amzn-bedrock-invocation-latency": "42",
    });

  if (model.includes("amazon.titan-embed-text")) {
    if (typeof body.inputText !== "string")
      return malformed("#: required key [inputText] not found");
    const inputTextTokenCount = tokenCount(body.inputText);
    const embedding = vectorOf(body.inputText, dimensionsOf(body.dimensions));
    return reply(
      { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount },
      inputTextTokenCount,
    );
  }

  if (model.includes("cohere.embed")) {
    const texts = arrayOf(body.texts);
    if (texts.length === 0 || !texts.every(text => typeof text === "string")) {
      return malformed("#: required key [texts] not found");
    }
    if (typeof body.input_type !== "string") {
      return malformed("#: required key [input_type] not found");
    }
    const vectors = (texts as string[]).map(text =>
      vectorOf(text, dimensionsOf(body.output_dimension)),
    );
    const byType = Array.isArray(body.embedding_types);
    return reply(
      {
        id: `fake-embed-${routed.sequence}`,
        response_type: byType ? "embeddings_by_type" : "embeddings_floats",
        embeddings: byType ? { float: vectors } : vectors,
        texts,
      },
      texts.reduce((sum: number, text) => sum + tokenCount(text as string), 0),
    );
  }

  return bedrockError(400, "ValidationException", "The provided model identifier is invalid.");
}

function textOfBlocks(content: unknown): string {
  return arrayOf(content)
    .map(block => (isRecord(block) && typeof block.text === "string" ? block.text : ""))
    .filter(text => text !== "")
    .join("\n");
}

function converse(routed: RoutedRequest, body: Record<string, unknown>): ProviderReply {
  let lastUserText = "";
  let promptText = textOfBlocks(body.system);
  for (const message of arrayOf(body.messages)) {
    if (!isRecord(message)) continue;
    const text = textOfBlocks(message.content);
    promptText += text;
    if (message.role === "user" && text !== "") lastUserText = text;
  }
  const toolConfig = isRecord(body.toolConfig) ? body.toolConfig : {};
  const firstTool = arrayOf(toolConfig.tools)[0];
  const toolName =
    isRecord(firstTool) && isRecord(firstTool.toolSpec) && TOOL_TRIGGER.test(lastUserText)
      ? String(firstTool.toolSpec.name)
      : undefined;
  const text = toolName ? toolPreamble(toolName) : replyText("awsbedrock", lastUserText);
  const input = toolArguments(lastUserText);
  const inputTokens = tokenCount(promptText);
  // The prompt before the last cachePoint block is written to the cache.
  const cache = cacheSplit(
    inputTokens,
    [
      ...arrayOf(body.system),
      ...arrayOf(body.messages).flatMap(message => arrayOf(isRecord(message) && message.content)),
    ],
    block => isRecord(block) && isRecord(block.cachePoint),
  );
  const outputTokens = tokenCount(text) + (toolName ? tokenCount(JSON.stringify(input)) : 0);
  const usage = {
    inputTokens: cache.input,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    ...(cache.cacheWrite > 0 && {
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: cache.cacheWrite,
    }),
  };
  const stopReason = toolName ? "tool_use" : "end_turn";
  const toolUseId = `tooluse_fake${routed.sequence}`;
  const headers = { "x-amzn-requestid": REQUEST_ID };

  if (!routed.call.stream) {
    return jsonReply(
      200,
      {
        output: {
          message: {
            role: "assistant",
            content: [
              { text },
              ...(toolName ? [{ toolUse: { toolUseId, name: toolName, input } }] : []),
            ],
          },
        },
        stopReason,
        usage,
        metrics: { latencyMs: 321 },
      },
      headers,
    );
  }

  const events: [string, Record<string, unknown>][] = [["messageStart", { role: "assistant" }]];
  for (const delta of textDeltas(text)) {
    events.push(["contentBlockDelta", { contentBlockIndex: 0, delta: { text: delta } }]);
  }
  events.push(["contentBlockStop", { contentBlockIndex: 0 }]);
  if (toolName) {
    events.push([
      "contentBlockStart",
      { contentBlockIndex: 1, start: { toolUse: { toolUseId, name: toolName } } },
    ]);
    for (const piece of jsonPieces(JSON.stringify(input))) {
      events.push([
        "contentBlockDelta",
        { contentBlockIndex: 1, delta: { toolUse: { input: piece } } },
      ]);
    }
    events.push(["contentBlockStop", { contentBlockIndex: 1 }]);
  }
  events.push(["messageStop", { stopReason }]);
  events.push(["metadata", { usage, metrics: { latencyMs: 321 } }]);
  return {
    status: 200,
    headers: { "content-type": "application/vnd.amazon.eventstream", ...headers },
    pieces: events.map(([eventType, payload], position) => frame(position, eventType, payload)),
    stream: true,
  };
}
