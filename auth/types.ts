/** The contract every credential type implements, and what the ext_proc server and CLI call. */
import type { Logger } from "winston";
import type { HeaderMutation } from "../lib/header-mutation";
import type { Clock } from "./clock";

/** The upstream request as it leaves the translator: final path and body, before auth. */
export interface AuthRequest {
  method: string;
  /**
   * The host the request is sent to (the backend endpoint's hostname), when known. AWS signs it;
   * without it the provider's default host is used.
   */
  host?: string;
  /** The translated path, still URL-encoded (e.g. a Bedrock model id with `%3A`). */
  path: string;
  /** The request headers after translation, lower-case keys. */
  headers: Record<string, string>;
  /** The final (translated) body: AWS signs its hash. */
  body: Uint8Array;
}

/** What to apply to the upstream request. */
export interface AuthResult {
  /** The path to send (GCP prefixes the Vertex project and location). */
  path: string;
  /** Credential headers to set (overwrite) and client credential headers to remove. */
  headers: HeaderMutation;
  /** The host the credential is valid for, when the handler decides it (AWS, GCP). */
  host?: string;
}

/** An authenticator for one backend. */
export interface BackendAuth {
  /**
   * Adds credentials to `request`. Resolves from memory once warm; only the first call (or one
   * after every credential has expired and refreshing failed) waits for a token endpoint.
   * Rejects with an `AuthError`.
   */
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** Fetches the first credential now, so the first request does not wait. */
  warm(): Promise<void>;
  /**
   * True while `authenticate()` can answer from memory: a static credential, or a fetched one
   * that has not expired. The registry keeps an authenticator that is ready in service while its
   * replacement warms.
   */
  ready(): boolean;
  /** The last refresh failure (safe to report), or undefined when the last fetch succeeded. */
  lastError(): string | undefined;
  /** Stops background refreshes. */
  close(): void;
}

/** Options shared by every credential type. */
export interface BackendAuthOptions {
  /** Time source for expiry and refresh scheduling (tests inject a manual clock). */
  clock?: Clock;
  /** Where refreshes and failures are logged (never with secret values). */
  logger?: Logger;
  /** Refresh fetched credentials this long before they expire. Default 5 minutes. */
  refreshAheadMs?: number;
  /**
   * After a failed fetch, wait this long before the next attempt (a timer retries then). Inside
   * that window, requests with no valid credential fail at once with the last error instead of
   * fetching. Default 10 seconds.
   */
  retryDelayMs?: number;
  /**
   * Extra PEM CA certificates trusted by token endpoints reached through an SDK that insists on
   * https (Entra ID): private CAs, and self-signed fakes in tests.
   */
  caCertificates?: string[];
}

/**
 * Headers through which a client could carry its own credentials to the gateway. None of them may
 * reach a provider: every handler removes those it does not set itself. `x-goog-api-key` is a
 * Gemini / Vertex AI API key; `proxy-authorization` would hand the client's proxy credentials on.
 */
export const CLIENT_CREDENTIAL_HEADERS = [
  "authorization",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
  "proxy-authorization",
] as const;

/**
 * A mutation that sets `set` (overwrite) and removes the client's credential headers and AWS
 * signing headers that `set` does not replace.
 */
export function credentialMutation(
  set: Record<string, string>,
  requestHeaders: Record<string, string>,
): HeaderMutation {
  const clientAmz = Object.keys(requestHeaders)
    .map(name => name.toLowerCase())
    .filter(name => name.startsWith("x-amz-"));
  const remove = [...new Set([...CLIENT_CREDENTIAL_HEADERS, ...clientAmz])].filter(
    name => !(name in set),
  );
  return { set, remove };
}
