/** Where a front door reports each finished request: the log line and the metrics. */
import type { RequestSummary } from "./exchange";

/** A request the gateway answered by itself, before any backend was tried. */
export interface AnsweredSummary {
  route: string;
  endpoint: string;
  status: number;
  durationMs: number;
  errorType?: string;
}

export interface RequestObserver {
  /**
   * One call per request, when its answer is complete. `processingMs` is the time the front door
   * itself spent on the request (the ext_proc server's overhead), when it measures it.
   */
  finished(summary: RequestSummary | AnsweredSummary, timing: { processingMs?: number }): void;
}

export const isServed = (summary: RequestSummary | AnsweredSummary): summary is RequestSummary =>
  "backend" in summary;
