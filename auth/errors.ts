/**
 * Typed authentication errors. Messages are built only from values that cannot be secret (field
 * names, URLs from the configuration, HTTP status codes, short OAuth error codes): never from a
 * token endpoint's free-form answer or a library's message, which may echo what was sent.
 */

/** Stable codes a caller can branch on (and report in status). */
export type AuthErrorCode =
  | "INVALID_CONFIG"
  | "CREDENTIALS_FILE_INVALID"
  | "TOKEN_ENDPOINT_FAILED"
  | "TOKEN_RESPONSE_INVALID"
  | "TOKEN_UNAVAILABLE"
  | "CLOSED";

/** An authentication failure whose message is safe to log, return to a client and put in status. */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Short identifiers only: an OAuth `error` code, an AWS error name, a Node errno code. */
const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** A safe code, or undefined when the value could carry anything else. */
export function safeCode(value: unknown): string | undefined {
  return typeof value === "string" && SAFE_CODE.test(value) ? value : undefined;
}

/**
 * Describes a failure thrown by an HTTP client or SDK using only its status and error code, so that
 * no request or response content (assertions, secrets, tokens) leaks into the message.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof AuthError) return error.message;
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = e.$metadata as { httpStatusCode?: unknown } | undefined;
  const response = e.response as { status?: unknown } | undefined;
  const status = [e.statusCode, e.status, metadata?.httpStatusCode, response?.status].find(
    value => typeof value === "number",
  );
  const oauth = e.errorResponse as { error?: unknown } | undefined;
  const code =
    safeCode(oauth?.error) ??
    safeCode(e.errorCode) ??
    safeCode(e.code) ??
    causeCode(e.cause) ??
    safeCode(e.name);
  // SDKs that wrap an OAuth answer (Entra ID) keep only its text, which starts with the error
  // code (`invalid_client: AADSTS...`); the code is kept, the rest may echo the request.
  const oauthPrefix = /^([a-z][a-z_]{2,40}):/.exec(
    typeof e.message === "string" ? e.message : "",
  )?.[1];
  const parts = [
    status !== undefined ? `HTTP ${String(status)}` : undefined,
    code,
    oauthPrefix !== code ? oauthPrefix : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : "unknown error";
}

/**
 * The first safe `code` down a chain of causes: fetch wraps the socket error (`ECONNREFUSED`,
 * `UND_ERR_SOCKET`) in a `TypeError`, and HTTP libraries wrap that once more.
 */
function causeCode(cause: unknown, depth = 0): string | undefined {
  if (depth > 3 || typeof cause !== "object" || cause === null) return undefined;
  const { code, cause: inner } = cause as { code?: unknown; cause?: unknown };
  return safeCode(code) ?? causeCode(inner, depth + 1);
}
