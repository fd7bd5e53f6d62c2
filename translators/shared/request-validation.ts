/** Client bodies checked against a zod schema, and the 400 that names the first invalid field. */
import type { z } from "zod";
import { fieldPath } from "../../lib/zod-issues";
import { TranslationError } from "../errors";

/**
 * Parses `value` with `schema`, or throws a 400 naming the first invalid field (`param`), its path
 * in the request body; inside a union, the field of the alternative the client meant
 * (`innermostIssue`).
 */
export function parseOrBadRequest<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidFieldError(innermostIssue(result.error.issues[0]));
}

/**
 * The 400 for a field that failed validation: `param` is its path in the request body, written as
 * the translators' own errors write one (`messages[0].content[1].cache_control.type`), and the
 * message starts with it (`body` for the body itself).
 */
export function invalidFieldError(issue: {
  path: readonly PropertyKey[];
  message: string;
}): TranslationError {
  const param = fieldPath(issue.path);
  return new TranslationError(400, `${param || "body"}: ${issue.message}`, {
    type: "invalid_request_error",
    param: param || null,
    code: null,
  });
}

/**
 * The issue that says what is wrong. Content is a string or a list of parts, so a bad part fails
 * both: zod reports "Invalid input" at the content, with each alternative's own issues inside. The
 * alternative that got furthest into the value is the one the client meant, and its issue names the
 * field (`messages[0].content[1].cache_control.type`) and what it must be.
 */
function innermostIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  let best: { path: PropertyKey[]; message: string } = issue;
  for (const alternative of issue.errors) {
    if (alternative.length === 0) continue;
    const inner = innermostIssue(alternative[0]);
    const path = [...issue.path, ...inner.path];
    if (path.length > best.path.length) best = { path, message: inner.message };
  }
  return best;
}
