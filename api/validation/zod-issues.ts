/**
 * Turns zod issues into the messages the API server would print for the same mistake, so a user
 * sees the same wording from `kubectl apply`, the webhook and the CLI.
 */
import type { z } from "zod";
import { childPath, Violation } from "./violation";

function pathOf(base: string, path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => childPath(acc, typeof key === "number" ? key : String(key)),
    base,
  );
}

function quoted(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "Required value";
      return `Invalid value: ${describeType(issue.input)}: must be of type ${issue.expected === "int" ? "integer" : issue.expected}`;
    case "too_big":
      if (issue.origin === "array") return `Too many: must have at most ${issue.maximum} items`;
      if (issue.origin === "string")
        return `Too long: may not be more than ${issue.maximum} characters`;
      return `Invalid value: ${quoted(issue.input)}: must be less than or equal to ${issue.maximum}`;
    case "too_small":
      if (issue.origin === "array")
        return `Required value: must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`;
      if (issue.origin === "string")
        return Number(issue.minimum) === 1
          ? "Required value: must not be empty"
          : `Invalid value: ${quoted(issue.input)}: must be at least ${issue.minimum} characters`;
      return `Invalid value: ${quoted(issue.input)}: must be greater than or equal to ${issue.minimum}`;
    case "invalid_value":
      return `Unsupported value: ${quoted(issue.input)}: supported values: ${issue.values.map(quoted).join(", ")}`;
    case "invalid_format":
      if (issue.format === "datetime")
        return `Invalid value: ${quoted(issue.input)}: must be an RFC 3339 date-time such as 2024-01-01T00:00:00Z`;
      if (issue.format === "regex") {
        // Schemas give their patterns a message a user understands; fall back to the pattern.
        const explained = !issue.message.startsWith("Invalid string");
        return `Invalid value: ${quoted(issue.input)}: ${explained ? issue.message : `must match the pattern ${"pattern" in issue ? issue.pattern : ""}`}`;
      }
      return `Invalid value: ${quoted(issue.input)}: must be a valid ${issue.format}`;
    case "custom":
      // The schemas' refinements state what a valid value looks like, like their patterns do.
      return issue.input === undefined
        ? issue.message
        : `Invalid value: ${quoted(issue.input)}: ${issue.message}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map(quoted).join(", ")}`;
    default:
      return issue.message;
  }
}

/** The violations of a failed zod parse, with paths under `base` (e.g. `spec`). */
export function violationsFromZod(error: z.ZodError, base: string): Violation[] {
  return error.issues.map(issue => ({ path: pathOf(base, issue.path), message: messageOf(issue) }));
}
