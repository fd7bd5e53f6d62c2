/** HTTP headers as the request path takes them. */

/**
 * Node's parsed headers (lower-case names; a repeated header as an array, `set-cookie` always) as
 * one string per name, repeated values joined with ", ".
 */
export function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
