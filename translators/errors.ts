/** Errors a translator reports to the client, shaped as OpenAI errors. */

/** The OpenAI error `type` that fits an HTTP status. */
export function errorTypeForStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/**
 * A request the translator cannot express for the backend, or a pair it does not support. The
 * ext_proc server answers it directly with `status` and `toBody()`.
 */
export class TranslationError extends Error {
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(
    readonly status: number,
    message: string,
    options: { type?: string; param?: string | null; code?: string | null } = {},
  ) {
    super(message);
    this.name = "TranslationError";
    this.type = options.type ?? errorTypeForStatus(status);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  /** The OpenAI error body, as bytes. */
  toBody(): Uint8Array {
    return new TextEncoder().encode(
      JSON.stringify(
        openAIErrorBody(this.message, { type: this.type, param: this.param, code: this.code }),
      ),
    );
  }
}

/** A 400 for a request field the backend cannot take; `param` names the field. */
export function badRequest(message: string, param: string): TranslationError {
  return new TranslationError(400, message, { type: "invalid_request_error", param, code: null });
}

/** An upstream error, in the terms an OpenAI error body needs. */
export interface MappedError {
  status: number;
  type: string;
  message: string;
  code: string | null;
}

/** `{"error":{"message","type","param","code"}}` */
export function openAIErrorBody(
  message: string,
  options: { type: string; param: string | null; code: string | null },
) {
  return { error: { message, type: options.type, param: options.param, code: options.code } };
}
