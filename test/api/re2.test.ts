import { re2SyntaxError } from "../../api/validation/re2";

const NOT_IN_RE2 = "is not supported by RE2 (Envoy's regex engine)";
const LIST_INSTEAD =
  "the pattern must match the whole value, so list the values to match instead, e.g. a|b";

describe("re2SyntaxError", () => {
  it.each([
    ["claude-.*"],
    ["gpt-4o|gpt-4o-2024-.*"],
    // RE2 syntax that JavaScript's engine refuses or reads differently.
    ["(?i)gpt-4o"],
    ["(?P<family>gpt)-4o"],
    ["[[:alpha:]]+-\\d+"],
    ["gpt-4o\\z"],
    ["\\x{41}\\pL"],
    ["a{1000}"],
  ])("accepts %s", pattern => {
    expect(re2SyntaxError(pattern)).toBeUndefined();
  });

  /** [what the user wrote, the exact reason] */
  it.each([
    ["gpt-4o(?!-mini)", `lookahead \`(?!\` ${NOT_IN_RE2}; ${LIST_INSTEAD}`],
    ["gpt-4o(?=-mini)", `lookahead \`(?=\` ${NOT_IN_RE2}; ${LIST_INSTEAD}`],
    ["(?<=azure-)gpt", `lookbehind \`(?<=\` ${NOT_IN_RE2}; ${LIST_INSTEAD}`],
    ["(?<!azure-)gpt", `lookbehind \`(?<!\` ${NOT_IN_RE2}; ${LIST_INSTEAD}`],
    ["(gpt)-\\1", `backreference \`\\1\` ${NOT_IN_RE2}; write the repeated text out`],
    ["(?<m>gpt)-\\k<m>", `backreference \`\\k\` ${NOT_IN_RE2}; write the repeated text out`],
    [
      "(?>gpt|gpt-4)",
      `atomic group \`(?>\` ${NOT_IN_RE2}; use a plain group (?:...), as RE2 never backtracks`,
    ],
    [
      "gpt-\\d++",
      `possessive quantifier \`++\` ${NOT_IN_RE2}; drop the last +, as RE2 never backtracks`,
    ],
    [
      "gpt-\\d{2}+",
      `possessive quantifier \`{2}+\` ${NOT_IN_RE2}; drop the last +, as RE2 never backtracks`,
    ],
    ["\\u00e9", `escape \`\\u\` ${NOT_IN_RE2}; write a code point as \\x{41}`],
    ["a{1001}", "repeat count `{1001}` is above RE2's limit of 1000"],
    ["a{2,1001}", "repeat count `{2,1001}` is above RE2's limit of 1000"],
    // Otherwise RE2's own description, with the part it stopped at.
    ["gpt-(4", "missing closing ): `gpt-(4`"],
    ["a{2,1}", "invalid repeat count: `{2,1}`"],
    ["gpt**", "invalid nested repetition operator: `**`"],
    ["gpt\\", "trailing backslash at end of expression"],
  ])("refuses %s, naming the RE2 rule", (pattern, reason) => {
    expect(re2SyntaxError(pattern)).toBe(reason);
  });
});
