/**
 * Reading a JSON object out of text a client or provider sent, where anything else is an answer the
 * caller handles rather than an exception.
 */

/** The JSON object `text` holds, or undefined when it is not JSON or holds no object (an array). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
