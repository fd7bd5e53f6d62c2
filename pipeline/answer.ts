/**
 * What the gateway answers a client by itself (an error, the model list, a fallback's translated
 * answer), whichever front door carries it: an ext_proc immediate response, or an HTTP response.
 */
import { errorTypeForStatus, openAIErrorBody } from "../translators/errors";

export interface GatewayAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The model the request named, when the gateway refused it after reading it (for the log). */
  model?: string;
}

/** The error type of a request whose client (or Envoy) went away before its answer. */
export const CANCELLED = "cancelled";
/** The status proxies log for such a request. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The status reported for a request that ended before its answer did: the client's 499 when it
 * went away, else 500 (the gateway's own failure, such as a protocol error).
 */
export const unansweredStatus = (errorType: string): number =>
  errorType === CANCELLED ? CLIENT_CLOSED_REQUEST : 500;

const encoder = new TextEncoder();

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown): GatewayAnswer {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: encoder.encode(JSON.stringify(value)),
  };
}

/** The OpenAI error code (or type) of an answer, for the request's log line and metrics. */
export function errorCodeOf(answer: GatewayAnswer): string {
  try {
    const error = JSON.parse(Buffer.from(answer.body).toString("utf8"))?.error;
    return String(error?.code ?? error?.type ?? answer.status);
  } catch {
    return String(answer.status);
  }
}

/**
 * A request the gateway refuses or cannot serve, answered in OpenAI's error shape so that every
 * OpenAI SDK reports it as it reports the provider's own errors.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly type: string;

  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    type?: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.type = type ?? errorTypeForStatus(status);
  }

  toAnswer(): GatewayAnswer {
    return jsonAnswer(
      this.status,
      openAIErrorBody(this.message, { type: this.type, param: this.param, code: this.code }),
    );
  }
}
