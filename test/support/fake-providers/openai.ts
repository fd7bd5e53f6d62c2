/**
 * OpenAI and Azure OpenAI: chat completions, legacy completions and embeddings, in OpenAI's JSON and
 * `data:` SSE shapes. Azure serves the same bodies per deployment (`/openai/deployments/{name}/…`
 * with a required `api-version`), takes its key in `api-key` (or an Entra ID bearer token), adds
 * content-filter results, starts a stream with a chunk that has no choices, and names its own errors
 * `{error:{code,message}}` where the OpenAI service would answer.
 */
import {
  FIXED_CREATED,
  TOOL_TRIGGER,
  arrayOf,
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
} from "./conversation";
import { dimensionsOf, vectorOf } from "./embeddings";
import type {
  FakeProviderRequest,
  ProviderCall,
  ProviderModule,
  ProviderReply,
  ResolvedOptions,
  RoutedRequest,
} from "./types";

type Flavour = "openai" | "azureopenai";

const OPERATIONS: Record<string, ProviderCall["operation"]> = {
  "chat/completions": "chat",
  completions: "completions",
  embeddings: "embeddings",
};

const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: {
    type: "invalid_request_error",
    code: "invalid_api_key",
    message:
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
  },
  403: {
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Forbidden.",
  },
  404: { type: "invalid_request_error", code: null, message: "Not found." },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message:
      "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  503: {
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
};

/** Azure answers these itself, before the model, in its own `{code, message}` shape. */
const AZURE_ERRORS: Record<number, string> = {
  401: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
  404: "Resource not found",
  429: "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second.",
};

export function createOpenAIModule(flavour: Flavour, options: ResolvedOptions): ProviderModule {
  const prefix = `/${options.openAIPrefix.replace(/^\/+|\/+$/g, "")}/`;
  const azure = flavour === "azureopenai";

  const error = (status: number, details: { errorType?: string; message?: string } = {}) => {
    if (azure && AZURE_ERRORS[status] !== undefined) {
      const code = details.errorType ?? String(status);
      const headers: Record<string, string> = status === 429 ? { "retry-after": "1" } : {};
      return jsonReply(
        status,
        { error: { code, message: details.message ?? AZURE_ERRORS[status] } },
        { ...headers, "apim-request-id": "00000000-0000-4000-8000-000000000000" },
      );
    }
    const known = OPENAI_ERRORS[status] ?? OPENAI_ERRORS[status >= 500 ? 500 : 400];
    return jsonReply(
      status,
      {
        error: {
          message: details.message ?? known.message,
          type: details.errorType ?? known.type,
          param: null,
          code: known.code,
        },
      },
      { "x-request-id": "req_fake" },
    );
  };

  return {
    route(method, path, query) {
      if (method === "GET" && !azure && path === `${prefix}models`) {
        return { operation: "models", model: "", stream: false };
      }
      if (method !== "POST") return undefined;
      if (!azure) {
        const operation = path.startsWith(prefix)
          ? OPERATIONS[path.slice(prefix.length)]
          : undefined;
        return operation && { operation, model: "", stream: false };
      }
      const match =
        /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/.exec(path);
      // Azure needs the api-version; without it the path names no resource.
      if (!match || !query.get("api-version")) return undefined;
      return {
        operation: OPERATIONS[match[2]],
        model: decodeURIComponent(match[1]),
        stream: false,
      };
    },

    authenticate(request, resolved) {
      return azure ? azureAuth(request, resolved, error) : openAIAuth(request, resolved, error);
    },

    error,

    notFound: (method, path) =>
      azure ? error(404) : error(404, { message: `Invalid URL (${method} ${path})` }),

    answer(routed) {
      if (routed.call.operation === "models") {
        const data = options.listedModels.map(id => ({
          id,
          object: "model",
          created: FIXED_CREATED,
          owned_by: "system",
        }));
        return jsonReply(200, { object: "list", data });
      }
      const body = routed.request.body;
      if (!isRecord(body)) {
        return error(400, {
          message:
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
        });
      }
      // OpenAI needs the model in the body; Azure takes it from the deployment.
      if (!azure && typeof body.model !== "string") {
        return error(400, { message: "you must provide a model parameter" });
      }
      routed.call.model = azure ? routed.call.model : String(body.model);
      routed.call.stream = body.stream === true;
      switch (routed.call.operation) {
        case "chat":
          return chat(flavour, routed, body, error);
        case "completions":
          return completions(flavour, routed, body, error);
        case "embeddings":
          return embeddings(routed, body, error);
      }
    },

    garbage: textGarbage,
  };
}

type ErrorOf = (
  status: number,
  details?: { errorType?: string; message?: string },
) => ProviderReply;

function bearerOf(request: FakeProviderRequest): string | undefined {
  const value = request.headers.authorization;
  return value?.startsWith("Bearer ") ? value.slice("Bearer ".length) : undefined;
}

function openAIAuth(request: FakeProviderRequest, options: ResolvedOptions, error: ErrorOf) {
  const key = bearerOf(request);
  if (key === options.apiKey) return undefined;
  const reply = error(401, {
    message:
      key === undefined
        ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        : undefined,
  });
  return {
    ...reply,
    headers: { ...reply.headers, "www-authenticate": 'Bearer realm="OpenAI API"' },
  };
}

function azureAuth(request: FakeProviderRequest, options: ResolvedOptions, error: ErrorOf) {
  const key = request.headers["api-key"];
  if (key !== undefined) return key === options.apiKey ? undefined : error(401);
  const token = bearerOf(request);
  if (token !== undefined && token === options.bearerToken) return undefined;
  return error(401, {
    message:
      "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
  });
}

/** The last user message's text, and all message texts (for the prompt token count). */
function conversationOf(messages: unknown[]): { lastUserText: string; promptText: string } {
  let lastUserText = "";
  let promptText = "";
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = textOfContent(message.content);
    promptText += text;
    if (message.role === "user") lastUserText = text;
  }
  return { lastUserText, promptText };
}

function usageOf(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const FILTERED_SAFE = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};

const dataEvent = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;

function chat(
  flavour: Flavour,
  routed: RoutedRequest,
  body: Record<string, unknown>,
  error: ErrorOf,
): ProviderReply {
  const messages = arrayOf(body.messages);
  if (messages.length === 0) {
    return error(400, { message: "[] is too short - 'messages'" });
  }
  const azure = flavour === "azureopenai";
  const { lastUserText, promptText } = conversationOf(messages);
  const tools = arrayOf(body.tools);
  const firstTool =
    isRecord(tools[0]) && isRecord(tools[0].function) ? tools[0].function : undefined;
  const toolName =
    firstTool && body.tool_choice !== "none" && TOOL_TRIGGER.test(lastUserText)
      ? String(firstTool.name)
      : undefined;
  const text = toolName ? null : replyText(flavour, lastUserText);
  const argumentsJSON = JSON.stringify(toolArguments(lastUserText));
  const toolCall = toolName && {
    id: `call_fake${routed.sequence}`,
    type: "function",
    function: { name: toolName, arguments: argumentsJSON },
  };
  const promptTokens = tokenCount(promptText);
  const completionTokens = tokenCount(text ?? argumentsJSON);
  const finishReason = toolName ? "tool_calls" : "stop";
  const envelope = {
    id: `chatcmpl-fake${routed.sequence}`,
    created: FIXED_CREATED,
    model: routed.call.model,
    system_fingerprint: "fp_fake",
  };

  if (!routed.call.stream) {
    return jsonReply(200, {
      ...envelope,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: text,
            refusal: null,
            annotations: [],
            ...(toolCall ? { tool_calls: [toolCall] } : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
          ...(azure ? { content_filter_results: FILTERED_SAFE } : {}),
        },
      ],
      usage: usageOf(promptTokens, completionTokens),
      ...(azure
        ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTERED_SAFE }] }
        : {}),
      ...(azure ? {} : { service_tier: "default" }),
    });
  }

  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const chunk = (delta: unknown, finish: string | null = null) => ({
    ...envelope,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: string[] = [];
  // Azure's first chunk carries only the prompt's filter results, with no choices and empty fields.
  if (azure) {
    events.push(
      dataEvent({
        choices: [],
        created: 0,
        id: "",
        model: "",
        object: "",
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTERED_SAFE }],
      }),
    );
  }
  events.push(
    dataEvent(chunk({ role: "assistant", content: toolName ? null : "", refusal: null })),
  );
  if (toolCall) {
    events.push(
      dataEvent(
        chunk({
          tool_calls: [{ index: 0, ...toolCall, function: { name: toolName, arguments: "" } }],
        }),
      ),
    );
    for (const piece of jsonPieces(argumentsJSON)) {
      events.push(dataEvent(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })));
    }
  } else {
    for (const delta of textDeltas(text ?? "")) events.push(dataEvent(chunk({ content: delta })));
  }
  events.push(dataEvent(chunk({}, finishReason)));
  if (includeUsage) {
    events.push(
      dataEvent({
        ...envelope,
        object: "chat.completion.chunk",
        choices: [],
        usage: usageOf(promptTokens, completionTokens),
      }),
    );
  }
  events.push("data: [DONE]\n\n");
  return sseReply(events);
}

function completions(
  flavour: Flavour,
  routed: RoutedRequest,
  body: Record<string, unknown>,
  error: ErrorOf,
) {
  const prompts = Array.isArray(body.prompt) ? body.prompt : [body.prompt];
  if (body.prompt === undefined || prompts.some(prompt => typeof prompt !== "string")) {
    return error(400, { message: "'prompt' is a required property" });
  }
  const prompt = prompts.join("\n");
  const text = replyText(flavour, prompt);
  const usage = {
    prompt_tokens: tokenCount(prompt),
    completion_tokens: tokenCount(text),
    total_tokens: tokenCount(prompt) + tokenCount(text),
  };
  const envelope = {
    id: `cmpl-fake${routed.sequence}`,
    object: "text_completion",
    created: FIXED_CREATED,
    model: routed.call.model,
  };
  const choice = (piece: string, finish: string | null) => ({
    text: piece,
    index: 0,
    logprobs: null,
    finish_reason: finish,
  });
  if (!routed.call.stream) {
    return jsonReply(200, { ...envelope, choices: [choice(text, "stop")], usage });
  }
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const events = textDeltas(text).map(delta =>
    dataEvent({ ...envelope, choices: [choice(delta, null)] }),
  );
  events.push(dataEvent({ ...envelope, choices: [choice("", "stop")] }));
  if (includeUsage) events.push(dataEvent({ ...envelope, choices: [], usage }));
  events.push("data: [DONE]\n\n");
  return sseReply(events);
}

function embeddings(routed: RoutedRequest, body: Record<string, unknown>, error: ErrorOf) {
  const inputs: unknown[] =
    typeof body.input === "string" ||
    (Array.isArray(body.input) && typeof body.input[0] === "number")
      ? [body.input]
      : arrayOf(body.input);
  if (inputs.length === 0) {
    return error(400, { message: "'input' is a required property" });
  }
  const dimensions = dimensionsOf(body.dimensions);
  const texts = inputs.map(input => (typeof input === "string" ? input : JSON.stringify(input)));
  const promptTokens = texts.reduce((sum, text) => sum + tokenCount(text), 0);
  return jsonReply(200, {
    object: "list",
    data: texts.map((text, index) => {
      const vector = vectorOf(text, dimensions);
      return {
        object: "embedding",
        index,
        embedding:
          body.encoding_format === "base64"
            ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
            : vector,
      };
    }),
    model: routed.call.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
