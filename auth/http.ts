/**
 * The few HTTP calls token flows make (form posts, JSON posts, discovery GETs), with errors that
 * name the endpoint, status and OAuth error code only: bodies are never copied into messages.
 */
import { parseJsonObject } from "../lib/json-object";
import { AuthError, describeFailure, safeCode } from "./errors";

/** A request timeout: a token endpoint that hangs must not hold requests forever. */
const TIMEOUT_MS = 10_000;

/** POSTs `application/x-www-form-urlencoded` and returns the JSON answer. */
export function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return requestJSON(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** POSTs JSON and returns the JSON answer. */
export function postJSON(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return requestJSON(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** GETs a JSON document (e.g. OIDC discovery). */
export function getJSON(url: string): Promise<Record<string, unknown>> {
  return requestJSON(url, { method: "GET", headers: {} });
}

async function requestJSON(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Record<string, unknown>> {
  const where = endpointName(url);
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: "application/json", ...init.headers },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new AuthError("TOKEN_ENDPOINT_FAILED", `${where}: ${describeFailure(error)}`);
  }
  const text = await response.text().catch(() => "");
  const json = parseJsonObject(text);
  if (!response.ok) {
    // OAuth error answers carry a short `error` code; `error_description` is free text and may
    // quote the request, so it is left out.
    const code = safeCode(json?.error) ?? safeCode((json?.error as { status?: unknown })?.status);
    throw new AuthError(
      "TOKEN_ENDPOINT_FAILED",
      `${where}: HTTP ${response.status}${code ? ` ${code}` : ""}`,
    );
  }
  if (!json) throw new AuthError("TOKEN_RESPONSE_INVALID", `${where}: answer is not a JSON object`);
  return json;
}

/** The URL without query or credentials, as it may appear in messages. */
export function endpointName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "invalid endpoint URL";
  }
}

/** A required string field of a token answer, or a `TOKEN_RESPONSE_INVALID` error naming it. */
export function requireString(json: Record<string, unknown>, field: string, where: string): string {
  const value = json[field];
  if (typeof value !== "string" || value === "") {
    throw new AuthError(
      "TOKEN_RESPONSE_INVALID",
      `${endpointName(where)}: answer has no "${field}"`,
    );
  }
  return value;
}

/** `expires_in` (seconds, number or numeric string) in milliseconds; `fallbackMs` when absent. */
export function expiresInMs(json: Record<string, unknown>, fallbackMs: number): number {
  const seconds = Number(json.expires_in);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallbackMs;
}
