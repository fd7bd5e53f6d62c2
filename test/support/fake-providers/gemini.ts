/**
 * Gemini on Vertex AI: `…/publishers/google/models/{model}:generateContent` answers one
 * `GenerateContentResponse`; `:streamGenerateContent?alt=sse` streams slices of it as `data:` events
 * separated by CRLF pairs (as Google's servers write them), the finish reason and the full usage on
 * the last one. Without `alt=sse` the stream is a JSON array written element by element, as the REST
 * API does. `:predict` of a text embedding model answers embeddings.
 */
import {
  FIXED_CREATE_TIME,
  TOOL_TRIGGER,
  arrayOf,
  isRecord,
  jsonReply,
  replyText,
  sseReply,
  textDeltas,
  textGarbage,
  tokenCount,
  toolArguments,
} from "./conversation";
import { dimensionsOf, vectorOf } from "./embeddings";
import { checkGoogleBearer, googleError, vertexModelPath } from "./google";
import type { ProviderModule, ProviderReply, RoutedRequest } from "./types";

export function createGeminiModule(): ProviderModule {
  return {
    route(method, path) {
      const target = method === "POST" ? vertexModelPath(path, "google") : undefined;
      if (
        !target ||
        !["generateContent", "streamGenerateContent", "predict"].includes(target.method)
      ) {
        return undefined;
      }
      return {
        operation: target.method === "predict" ? "embeddings" : "chat",
        model: target.model,
        stream: target.method === "streamGenerateContent",
      };
    },

    authenticate: checkGoogleBearer,

    error: googleError,

    notFound: () => googleError(404),

    answer(routed) {
      const body = routed.request.body;
      if (!isRecord(body)) {
        return googleError(400, { message: "Invalid JSON payload received. Unexpected token." });
      }
      if (routed.call.operation === "embeddings") return predictEmbeddings(body);
      if (arrayOf(body.contents).length === 0) {
        return googleError(400, {
          message: "Unable to submit request because it has an empty contents field.",
        });
      }
      return generate(routed, body);
    },

    garbage: textGarbage,
  };
}

/** The text of a turn's parts, thoughts left out. */
function textOfParts(parts: unknown): string {
  return arrayOf(parts)
    .map(part =>
      isRecord(part) && typeof part.text === "string" && !part.thought ? part.text : "",
    )
    .join("");
}

function generate(routed: RoutedRequest, body: Record<string, unknown>): ProviderReply {
  let lastUserText = "";
  let promptText = isRecord(body.systemInstruction)
    ? textOfParts(body.systemInstruction.parts)
    : "";
  for (const content of arrayOf(body.contents)) {
    if (!isRecord(content)) continue;
    const text = textOfParts(content.parts);
    promptText += text;
    if ((content.role ?? "user") === "user" && text !== "") lastUserText = text;
  }
  const declarations = arrayOf(body.tools).flatMap(tool =>
    isRecord(tool) ? arrayOf(tool.functionDeclarations) : [],
  );
  const mode =
    isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig)
      ? body.toolConfig.functionCallingConfig.mode
      : undefined;
  const declaration = declarations[0];
  const toolName =
    isRecord(declaration) && mode !== "NONE" && TOOL_TRIGGER.test(lastUserText)
      ? String(declaration.name)
      : undefined;
  const text = replyText("gcpvertexai", lastUserText);
  const args = toolArguments(lastUserText);
  const promptTokens = tokenCount(promptText);
  const candidatesTokens = toolName ? tokenCount(JSON.stringify(args)) : tokenCount(text);
  const usageMetadata = {
    promptTokenCount: promptTokens,
    candidatesTokenCount: candidatesTokens,
    totalTokenCount: promptTokens + candidatesTokens,
    trafficType: "ON_DEMAND",
    promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
    candidatesTokensDetails: [{ modality: "TEXT", tokenCount: candidatesTokens }],
  };
  const envelope = {
    modelVersion: routed.call.model,
    createTime: FIXED_CREATE_TIME,
    responseId: `fakeResponse${routed.sequence}`,
  };
  const toolPart = toolName && { functionCall: { name: toolName, args } };

  if (!routed.call.stream) {
    return jsonReply(200, {
      candidates: [
        {
          content: { role: "model", parts: [toolPart ?? { text }] },
          finishReason: "STOP",
          avgLogprobs: -0.0421,
        },
      ],
      usageMetadata,
      ...envelope,
    });
  }

  // Every slice but the last carries only the traffic type in its usage metadata.
  const slices: unknown[] = toolPart
    ? []
    : textDeltas(text).map(delta => ({
        candidates: [{ content: { role: "model", parts: [{ text: delta }] } }],
        usageMetadata: { trafficType: "ON_DEMAND" },
        ...envelope,
      }));
  slices.push({
    candidates: [
      {
        content: { role: "model", parts: [toolPart ?? { text: "" }] },
        finishReason: "STOP",
      },
    ],
    usageMetadata,
    ...envelope,
  });
  if (routed.query.get("alt") === "sse") {
    return sseReply(slices.map(slice => `data: ${JSON.stringify(slice)}\r\n\r\n`));
  }
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=UTF-8" },
    pieces: [
      ...slices.map((slice, i) =>
        Buffer.from(`${i === 0 ? "[" : ",\r\n"}${JSON.stringify(slice)}`),
      ),
      Buffer.from("]"),
    ],
    stream: true,
  };
}

/**
 * `POST …/publishers/google/models/{model}:predict` of a text embedding model: `instances` of
 * `{content}` → `predictions` of `{embeddings:{values, statistics:{truncated, token_count}}}`,
 * sized by `parameters.outputDimensionality`.
 */
function predictEmbeddings(body: Record<string, unknown>): ProviderReply {
  const instances = arrayOf(body.instances);
  const contents = instances.map(instance =>
    isRecord(instance) && typeof instance.content === "string" ? instance.content : undefined,
  );
  if (contents.length === 0 || contents.some(content => content === undefined)) {
    return googleError(400, {
      message: "Invalid JSON payload: every instance needs a content string.",
    });
  }
  const parameters = isRecord(body.parameters) ? body.parameters : {};
  const dimensions = dimensionsOf(parameters.outputDimensionality);
  return jsonReply(200, {
    predictions: (contents as string[]).map(content => ({
      embeddings: {
        values: vectorOf(content, dimensions),
        statistics: { truncated: false, token_count: tokenCount(content) },
      },
    })),
    metadata: {
      billableCharacterCount: (contents as string[]).reduce((sum, text) => sum + text.length, 0),
    },
  });
}
