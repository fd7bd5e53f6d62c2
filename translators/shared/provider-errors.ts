/**
 * A provider's error in OpenAI terms, one mechanism for every provider: read the provider's name for
 * the error and its message, look the name up in the provider's table, and fall back on the upstream
 * HTTP status for a name that is missing or not in the table. Each provider keeps only its table and
 * how its errors are read.
 */
import { errorTypeForStatus, type MappedError } from "../errors";

/** The HTTP status and OpenAI error `type` a client expects for one provider error. */
export interface ErrorTarget {
  readonly status: number;
  readonly type: string;
}

/** One provider's error names (error types, exception names, RPC statuses) → what they map to. */
export type ErrorTable = Readonly<Record<string, ErrorTarget>>;

/** What a provider error says, read out of its body, headers or stream event. */
export interface ProviderError {
  /** The provider's name for the error, looked up in its table and kept as the OpenAI `code`. */
  name?: string;
  /** The provider's message; when missing, the raw body text stands in for it. */
  message?: string;
}

/** How one provider's errors map: its table, and what differs per provider around it. */
export interface ProviderErrorRules {
  readonly table: ErrorTable;
  /** The status of an error whose name is missing or unknown, given the upstream HTTP status. */
  fallbackStatus(httpStatus: number): number;
  /** The OpenAI type of such an error, given that status; `errorTypeForStatus` when left out. */
  fallbackType?(status: number): string;
  /**
   * Reads the name and message of an HTTP error response; undefined when the body is not the
   * provider's error shape (the raw text then becomes the message).
   */
  read(bodyText: string, headers: Record<string, string>): ProviderError | undefined;
}

/**
 * The coarse OpenAI error type: `api_error` for a server status, else `invalid_request_error`. The
 * Anthropic and Google mappings give it to errors they cannot name, where `errorTypeForStatus` would
 * tell 401, 403, 404 and 429 apart; kept so that what clients see does not change.
 */
export function coarseErrorType(status: number): string {
  return status >= 500 ? "api_error" : "invalid_request_error";
}

/**
 * Maps a provider error already read (from an HTTP response or a stream event) to OpenAI terms.
 * `rawText` is the message when `error` has none, or `upstream returned HTTP <status>` when it is
 * empty too.
 */
export function mapProviderError(
  rules: ProviderErrorRules,
  httpStatus: number,
  error: ProviderError | undefined,
  rawText: string,
): MappedError {
  const name = error?.name;
  // Own keys only: a name such as "constructor" must not find Object.prototype's members.
  const known =
    name !== undefined && Object.hasOwn(rules.table, name) ? rules.table[name] : undefined;
  const status = known?.status ?? rules.fallbackStatus(httpStatus);
  return {
    status,
    type: known?.type ?? (rules.fallbackType ?? errorTypeForStatus)(status),
    message: error?.message ?? (rawText || `upstream returned HTTP ${httpStatus}`),
    code: name ?? null,
  };
}

/**
 * Maps a non-2xx HTTP response to OpenAI terms. `headers` matter only to a provider whose errors are
 * named there (Bedrock's `x-amzn-errortype`).
 */
export type HttpErrorMapper = (
  httpStatus: number,
  bodyText: string,
  headers?: Record<string, string>,
) => MappedError;

/** The `mapError` of a chat provider: reads a non-2xx HTTP response with `rules.read` and maps it. */
export function providerErrorMapper(rules: ProviderErrorRules): HttpErrorMapper {
  return (httpStatus, bodyText, headers = {}) =>
    mapProviderError(rules, httpStatus, rules.read(bodyText, headers), bodyText);
}
