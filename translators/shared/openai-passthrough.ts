/**
 * The core of the pairs where the backend speaks OpenAI's own API (OpenAI, OpenAI-compatible servers
 * such as vLLM or Groq, and Azure OpenAI): the body goes through unchanged but for `model` when the
 * backend overrides it, and responses come back as they are while their token usage is read. The
 * pairs differ only in where the request goes (`shared/openai-backend-paths.ts`).
 */
import { errorTypeForStatus, openAIErrorBody, TranslationError } from "../errors";
import { jsonBytes } from "./json-bytes";
import { createSseReader } from "./sse";
import { NO_USAGE } from "./token-usage";
import type {
  BackendTarget,
  ClientRequest,
  ClientResponse,
  StreamTranslator,
  TokenUsage,
  Translator,
  UpstreamResponse,
} from "../types";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** Token usage from an OpenAI `usage` object (chat, completions or embeddings). */
export function usageFromOpenAI(usage: OpenAIUsage | null | undefined): TokenUsage {
  if (!usage) return NO_USAGE;
  const inputTokens = usage.prompt_tokens ?? 0;
  const outputTokens = usage.completion_tokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage.total_tokens ?? inputTokens + outputTokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    // OpenAI-compatible usage reports no cache writes.
    cacheCreationInputTokens: 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** Where the request goes, from the model sent upstream. */
export type PathFor = (upstreamModel: string) => string;

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new TranslationError(400, "the request body must be a JSON object", { param: null });
  }
  const model = (body as { model?: unknown }).model;
  if (typeof model !== "string" || model === "") {
    throw new TranslationError(400, "model: a model name is required", { param: "model" });
  }
  return body as Record<string, unknown>;
}

/** A provider error that is not OpenAI-shaped becomes one, with the provider's status. */
function errorResponse(response: UpstreamResponse): ClientResponse {
  const text = decoder.decode(response.body);
  let body: Uint8Array = response.body;
  try {
    const parsed = JSON.parse(text);
    if (!parsed?.error?.message) throw new Error("not an OpenAI error");
  } catch {
    body = encoder.encode(
      JSON.stringify(
        openAIErrorBody(text.trim() || `the backend answered with HTTP ${response.status}`, {
          type: errorTypeForStatus(response.status),
          param: null,
          code: String(response.status),
        }),
      ),
    );
  }
  return {
    status: response.status,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body,
    usage: NO_USAGE,
  };
}

/** `"usage":{`, as a JSON object's key and the start of an object value. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/** Passes an SSE stream through as it arrives, reading the usage chunk on the side. */
function passthroughStream(): StreamTranslator {
  let usage = NO_USAGE;
  const reader = createSseReader(({ data }) => {
    // Only an event whose usage is an object carries it (a stream asked for usage has
    // `"usage":null` on every other chunk): parsing every event of a stream to find the one that
    // does took a fifth of `run`'s CPU on a stream of 20 chunks.
    if (!USAGE_OBJECT.test(data)) return;
    try {
      const chunk = JSON.parse(data);
      if (chunk?.usage) usage = usageFromOpenAI(chunk.usage);
    } catch {
      // Not ours to judge: the client receives the bytes as the backend sent them.
    }
  });
  return {
    headers: { set: {}, remove: ["content-length"] },
    push(chunk) {
      reader.push(chunk);
      return chunk;
    },
    end() {
      reader.end();
      return new Uint8Array();
    },
    usage: () => usage,
  };
}

/**
 * A translator for one request to a backend that speaks the OpenAI API at `pathFor(model)`;
 * `dropFields` are top-level body fields not to send on.
 */
export function createOpenAIPassthrough(
  backend: BackendTarget,
  pathFor: PathFor,
  dropFields: readonly string[] = [],
): Translator {
  return {
    translateRequest(request: ClientRequest) {
      const body = bodyObject(request.body);
      const requestedModel = body.model as string;
      const upstreamModel = backend.modelNameOverride ?? requestedModel;
      let upstreamBody =
        upstreamModel === requestedModel ? body : { ...body, model: upstreamModel };
      if (dropFields.some(field => field in upstreamBody)) {
        upstreamBody = { ...upstreamBody };
        for (const field of dropFields) delete upstreamBody[field];
      }
      const bytes = jsonBytes(upstreamBody);
      return {
        path: pathFor(upstreamModel),
        headers: {
          set: { "content-type": "application/json", "content-length": String(bytes.length) },
          remove: [],
        },
        body: bytes,
        requestedModel,
        upstreamModel,
        stream: body.stream === true,
      };
    },
    translateResponse(response: UpstreamResponse): ClientResponse {
      if (response.status < 200 || response.status >= 300) return errorResponse(response);
      let usage = NO_USAGE;
      try {
        usage = usageFromOpenAI(JSON.parse(decoder.decode(response.body)).usage);
      } catch {
        // A body that is not JSON is passed on untouched; there is no usage to read.
      }
      return {
        status: response.status,
        headers: { set: {}, remove: [] },
        body: response.body,
        usage,
      };
    },
    createStreamTranslator: passthroughStream,
  };
}
