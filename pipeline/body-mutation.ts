/** A backend's or route's changes to the top-level fields of the JSON body sent upstream. */
import type { HTTPBodyMutation } from "../api/v1alpha1";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * `body` with the fields of `mutation` set (each value is raw JSON) and removed. A body that is not a
 * JSON object is returned unchanged: the mutation is defined on JSON bodies only.
 */
export function applyBodyMutation(body: Uint8Array, mutation: HTTPBodyMutation): Uint8Array {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch {
    return body;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return body;
  const fields: Record<string, unknown> = { ...value };
  for (const name of mutation.remove ?? []) delete fields[name];
  for (const field of mutation.set ?? []) fields[field.path] = JSON.parse(field.value);
  return encoder.encode(JSON.stringify(fields));
}
