/**
 * Regular expressions as Envoy reads them: RE2 syntax (https://github.com/google/re2/wiki/Syntax),
 * checked with re2js, a port of RE2's parser. JavaScript's engine accepts much that RE2 refuses
 * (lookaround, backreferences, possessive quantifiers), so a pattern that compiles with `RegExp`
 * can still break the HTTPRoute it is generated into.
 */
import { RE2JS, RE2JSSyntaxException } from "re2js";
import { errorMessage } from "../../lib/error-message";

/** RE2's limit on `{n}` and `{n,m}`. */
const MAX_REPEAT = 1000;

const NOT_IN_RE2 = "is not supported by RE2 (Envoy's regex engine)";

/**
 * The RE2 rule a syntax error breaks, with the fix, for the mistakes people bring from JavaScript
 * or PCRE; undefined when RE2's own description is the clearest thing to say.
 */
function explain(description: string, fragment: string): string | undefined {
  if (fragment.startsWith("(?=") || fragment.startsWith("(?!")) {
    return `lookahead \`${fragment.slice(0, 3)}\` ${NOT_IN_RE2}; the pattern must match the whole value, so list the values to match instead, e.g. a|b`;
  }
  if (fragment.startsWith("(?<=") || fragment.startsWith("(?<!")) {
    return `lookbehind \`${fragment.slice(0, 4)}\` ${NOT_IN_RE2}; the pattern must match the whole value, so list the values to match instead, e.g. a|b`;
  }
  if (fragment.startsWith("(?>")) {
    return `atomic group \`(?>\` ${NOT_IN_RE2}; use a plain group (?:...), as RE2 never backtracks`;
  }
  if (/^\\[1-9]$/.test(fragment) || fragment === "\\k") {
    return `backreference \`${fragment}\` ${NOT_IN_RE2}; write the repeated text out`;
  }
  if (fragment === "\\u") {
    return `escape \`\\u\` ${NOT_IN_RE2}; write a code point as \\x{41}`;
  }
  if (description === "invalid nested repetition operator" && /[*+?}]\+$/.test(fragment)) {
    return `possessive quantifier \`${fragment}\` ${NOT_IN_RE2}; drop the last +, as RE2 never backtracks`;
  }
  const counts = /^\{(\d+)(?:,(\d*))?\}$/.exec(fragment);
  if (counts && Math.max(Number(counts[1]), Number(counts[2] || 0)) > MAX_REPEAT) {
    return `repeat count \`${fragment}\` is above RE2's limit of ${MAX_REPEAT}`;
  }
  return undefined;
}

/**
 * Why `pattern` is not an RE2 regular expression, as a sentence naming the rule it breaks;
 * undefined when RE2 accepts it.
 */
export function re2SyntaxError(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    if (!(error instanceof RE2JSSyntaxException)) return errorMessage(error);
    const fragment = error.input ?? "";
    return (
      explain(error.error, fragment) ?? (fragment ? `${error.error}: \`${fragment}\`` : error.error)
    );
  }
}
