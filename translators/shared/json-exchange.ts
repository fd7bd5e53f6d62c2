/**
 * The JSON exchange every translator that rewrites bodies (chat, embeddings) has with its provider:
 * the request sent as JSON, the provider's answer read as JSON or mapped as an error, and the
 * complete `application/json` responses the client gets.
 */
import { openAIErrorBody, type MappedError } from "../errors";
import type { ClientResponse, TokenUsage, UpstreamRequest, UpstreamResponse } from "../types";
import { jsonBytes } from "./json-bytes";
import { NO_USAGE } from "./token-usage";

const decoder = new TextDecoder();

/** A provider request sent as JSON, with the models and streaming the translation reports. */
export function jsonUpstreamRequest(
  upstream: { path: string; headers?: Record<string, string>; body: unknown },
  facts: { requestedModel: string; upstreamModel: string; stream?: boolean },
): UpstreamRequest {
  return {
    path: upstream.path,
    headers: { set: { "content-type": "application/json", ...upstream.headers }, remove: [] },
    body: jsonBytes(upstream.body),
    requestedModel: facts.requestedModel,
    upstreamModel: facts.upstreamModel,
    stream: facts.stream ?? false,
  };
}

/** A complete `application/json` client response. */
export function jsonResponse(body: unknown, usage: TokenUsage): ClientResponse {
  return {
    status: 200,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body: jsonBytes(body),
    usage,
  };
}

/** An OpenAI error response for an upstream error already mapped to OpenAI terms. */
export function errorResponse(error: MappedError): ClientResponse {
  return {
    status: error.status,
    headers: { set: { "content-type": "application/json" }, remove: ["content-length"] },
    body: jsonBytes(
      openAIErrorBody(error.message, { type: error.type, param: null, code: error.code }),
    ),
    usage: NO_USAGE,
  };
}

/** The provider side of `translateJsonResponse`: how it words a non-2xx answer. */
export interface UpstreamErrorMapper {
  /** A non-2xx upstream response, in OpenAI error terms. */
  mapError(status: number, bodyText: string, headers: Record<string, string>): MappedError;
}

/**
 * A complete provider response in client terms: a non-2xx one becomes an OpenAI error through
 * `provider.mapError`; a 2xx body that is not JSON a 502 the client can read, rather than an
 * exception in the data path; any other goes to `translate`, parsed.
 */
export function translateJsonResponse<R>(
  response: UpstreamResponse,
  provider: UpstreamErrorMapper,
  translate: (body: R) => ClientResponse,
): ClientResponse {
  const text = decoder.decode(response.body);
  if (response.status < 200 || response.status >= 300) {
    return errorResponse(provider.mapError(response.status, text, response.headers));
  }
  let body: R;
  try {
    body = JSON.parse(text) as R;
  } catch {
    return errorResponse({
      status: 502,
      type: "api_error",
      message: "the upstream response body is not valid JSON",
      code: null,
    });
  }
  return translate(body);
}
