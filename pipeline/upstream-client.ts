/**
 * Sends an attempt to its backend from the gateway itself: a fallback in the ext_proc server, and
 * every request of `ai-gateway run`. Connections are pooled and kept alive per origin.
 */
import type { Agent } from "undici";
import { HOP_BY_HOP_HEADERS } from "../lib/hop-headers";
import type { Cancellation } from "./cancellation";
import type { UpstreamAttempt, UpstreamOrigin } from "./upstream-attempt";
import { applyHeaderMutation } from "./header-mutation";
import { UpstreamAnswer, type UpstreamResponse } from "./upstream-answer";

/** Headers that belong to one hop, or that the HTTP client sets itself. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP_HEADERS, "host", "content-length", "expect"]);

/** The headers to send: the client's with the attempt's changes, without pseudo and hop headers. */
export function upstreamHeaders(
  clientHeaders: Record<string, string>,
  attempt: UpstreamAttempt,
): Record<string, string> {
  const headers = applyHeaderMutation(clientHeaders, attempt.headers);
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !name.startsWith(":") && !NOT_FORWARDED.has(name)),
  );
}

/**
 * undici, loaded with the first request sent: the ext_proc server sends only fallbacks, and many
 * never do, while undici holds some 15 MB of memory. That saves the memory only where nothing else
 * loads undici: a server reading `--config-dir` (in a pod, the Secret watch's API client uses it).
 * require, not import(): see extproc/main.ts.
 * Kept once loaded: a `require` of a cached module still resolves its path, about 5 µs a request.
 */
let undiciModule: typeof import("undici") | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = () => (undiciModule ??= require("undici") as typeof import("undici"));

export class UpstreamClient {
  private agent?: Agent;
  private closed = false;

  constructor(private readonly options: { connectTimeoutMs?: number } = {}) {}

  /**
   * Sends `attempt` with the client's headers. Rejects when the backend cannot be reached, or when
   * `cancellation` calls it off (the time budget ran out, or the client went away).
   */
  async send(
    attempt: UpstreamAttempt,
    clientHeaders: Record<string, string>,
    cancellation: Cancellation,
  ): Promise<UpstreamResponse> {
    const origin = attempt.origin;
    if (!origin) throw new Error(`backend ${attempt.backend.id} has no address to send to`);
    const headers = upstreamHeaders(clientHeaders, attempt);
    return this.request("POST", origin, attempt.path, headers, attempt.body, cancellation);
  }

  /** A GET of `path` with `headers` (lower-case names, no pseudo or hop headers). */
  async get(
    origin: UpstreamOrigin,
    path: string,
    headers: Record<string, string>,
    cancellation: Cancellation,
  ): Promise<UpstreamResponse> {
    return this.request("GET", origin, path, headers, undefined, cancellation);
  }

  private async request(
    method: "GET" | "POST",
    origin: UpstreamOrigin,
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    cancellation: Cancellation,
  ): Promise<UpstreamResponse> {
    if (this.closed) throw new Error("the upstream client is closed");
    const { Agent } = undici();
    this.agent ??= new Agent({
      keepAliveTimeout: 30_000,
      connect: { timeout: this.options.connectTimeoutMs ?? 5_000 },
    });
    // Not sent at all: undici would give up a kept-alive connection to abort it.
    if (cancellation.cancelled) throw cancellation.reason;
    const agent = this.agent;
    return new Promise((resolve, reject) => {
      const answer = new UpstreamAnswer(
        outcome => ("answer" in outcome ? resolve(outcome.answer) : reject(outcome.error)),
        cancellation,
      );
      agent.dispatch(
        {
          origin: `${origin.tls ? "https" : "http"}://${origin.hostname}:${origin.port}`,
          path,
          method,
          // The Host Envoy's host rewrite sends, and the one SigV4 signed: the hostname, no port.
          headers: { ...headers, host: origin.hostname },
          body: body ?? null,
        },
        answer,
      );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.agent?.close();
  }
}
