import { createHash } from "node:crypto";

/**
 * `text` cut to `maxLength` characters, ending in `-<hash of identity>` so that two long inputs
 * that share a prefix never share a result. `trim` removes characters that may not end the cut part
 * (a Kubernetes name or label value must end alphanumeric).
 */
export function shortenedName(
  text: string,
  maxLength: number,
  identity: string,
  options: { hashLength: number; trim?: RegExp },
): string {
  const hash = createHash("sha256").update(identity).digest("hex").slice(0, options.hashLength);
  const kept = text.slice(0, maxLength - hash.length - 1);
  return `${options.trim ? kept.replace(options.trim, "") : kept}-${hash}`;
}
