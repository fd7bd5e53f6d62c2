/** Where a front door reports each finished request: the log line and the metrics. */
import { SELECTED_BACKEND_HEADER } from "../contract/route-config";
import { errorCodeOf, type GatewayAnswer } from "./answer";
import type { RequestSummary } from "./exchange";

/**
 * The most of a model name a log line or a metric label keeps. With a rule that matches models by
 * pattern, the name is any text a client sent, of any length.
 */
const MAX_MODEL_TEXT = 256;
export const modelText = (model: string) =>
  model.length > MAX_MODEL_TEXT ? model.slice(0, MAX_MODEL_TEXT) : model;

/** The response header that names the backend that served: the one the request was sent with. */
export const SERVED_BY_HEADER = SELECTED_BACKEND_HEADER;

/** A request the gateway answered by itself, before any backend was tried. */
export interface AnsweredSummary {
  route: string;
  endpoint: string;
  /** The model the request named, when the gateway had read it. */
  model?: string;
  status: number;
  durationMs: number;
  errorType?: string;
}

/** The summary of a request answered with `answer` by the gateway itself. */
export function answeredSummary(
  route: string,
  endpoint: string,
  answer: GatewayAnswer,
  durationMs: number,
): AnsweredSummary {
  return {
    route,
    endpoint,
    ...(answer.model !== undefined ? { model: answer.model } : {}),
    status: answer.status,
    durationMs,
    ...(answer.status >= 400 ? { errorType: errorCodeOf(answer) } : {}),
  };
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
