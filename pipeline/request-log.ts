/**
 * One structured log line per request, at info: where it went and what it cost. Never a credential,
 * a prompt or an answer: only names, numbers and error types. Written with `logRecord`, winston's
 * record without its stream pipeline: it is written on every request.
 */
import type { Logger } from "winston";
import { logRecord } from "../lib/logger";
import { isServed, modelText, type AnsweredSummary, type RequestObserver } from "./observer";
import type { RequestSummary } from "./exchange";

export class RequestLog implements RequestObserver {
  constructor(private readonly logger: Logger) {}

  finished(summary: RequestSummary | AnsweredSummary, timing: { processingMs?: number }): void {
    const processing =
      timing.processingMs === undefined ? {} : { processingMs: round(timing.processingMs) };
    if (!isServed(summary)) {
      logRecord(this.logger, "request", {
        route: summary.route,
        endpoint: summary.endpoint,
        ...(summary.model !== undefined ? { model: modelText(summary.model) } : {}),
        status: summary.status,
        durationMs: round(summary.durationMs),
        ...(summary.errorType ? { errorType: summary.errorType } : {}),
        ...processing,
      });
      return;
    }
    logRecord(this.logger, "request", {
      route: summary.route,
      endpoint: summary.endpoint,
      backend: summary.backend,
      model: modelText(summary.model),
      ...(summary.upstreamModel !== summary.model
        ? { upstreamModel: modelText(summary.upstreamModel) }
        : {}),
      stream: summary.stream,
      status: summary.status,
      inputTokens: summary.usage.inputTokens,
      outputTokens: summary.usage.outputTokens,
      totalTokens: summary.usage.totalTokens,
      // Prompt-cache reads cost less than plain input and writes more; they are in inputTokens,
      // and named apart only when there were some, as most requests have none.
      ...(summary.usage.cachedInputTokens > 0
        ? { cachedInputTokens: summary.usage.cachedInputTokens }
        : {}),
      ...(summary.usage.cacheCreationInputTokens > 0
        ? { cacheCreationInputTokens: summary.usage.cacheCreationInputTokens }
        : {}),
      durationMs: round(summary.durationMs),
      ...(summary.timeToFirstTokenMs !== undefined
        ? { timeToFirstTokenMs: round(summary.timeToFirstTokenMs) }
        : {}),
      ...(summary.fallbacks.length > 0 ? { fallbackFrom: summary.fallbacks } : {}),
      ...(summary.errorType ? { errorType: summary.errorType } : {}),
      ...processing,
    });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
