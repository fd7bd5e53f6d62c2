/**
 * Zod issues as one line, safe to log: built from field paths and the schema's own messages, never
 * from a value (a route document carries credentials), and unknown keys are counted, not named.
 */
import type { z } from "zod";

/** `oidcExchangeToken.oidc.scopes[0]`: object keys joined by dots, array indexes in brackets. */
export const fieldPath = (path: readonly PropertyKey[]) =>
  path
    .map((key, index) =>
      typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`,
    )
    .join("");

export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map(issue => {
      const message =
        issue.code === "unrecognized_keys"
          ? `${issue.keys.length} unknown field${issue.keys.length === 1 ? "" : "s"}`
          : issue.message;
      const path = fieldPath(issue.path);
      return path ? `${path}: ${message}` : message;
    })
    .join("; ");
}
