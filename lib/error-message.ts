/**
 * What a thrown value says. Read structurally rather than with `instanceof Error`, which fails for
 * errors made in another realm (a vm context, a test runner's sandbox).
 */
const field = (error: unknown, name: string): unknown =>
  typeof error === "object" && error !== null && name in error
    ? (error as Record<string, unknown>)[name]
    : undefined;

/** The message of anything thrown: an error's message, or the thrown value as text. */
export function errorMessage(error: unknown): string {
  const message = field(error, "message");
  return typeof message === "string" ? message : String(error);
}

/** The `code` of a Node.js system error (`ENOENT`, `EISDIR`), when the thrown value has one. */
export function systemErrorCode(error: unknown): string | undefined {
  const code = field(error, "code");
  return typeof code === "string" ? code : undefined;
}
