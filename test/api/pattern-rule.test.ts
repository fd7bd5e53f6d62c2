import { Environment } from "@marcbachmann/cel-js";
import { patternRule } from "../../api/v1alpha1";

describe("patternRule", () => {
  const cel = new Environment({ unlistedVariablesAreDyn: true });
  const holds = (pattern: RegExp, value: string) =>
    cel.evaluate(patternRule(pattern.source), { self: value });

  it("escapes backslashes and quotes, so CEL matches what the regex matches", () => {
    const url = /^https?:\/\/[^\s]+$/;
    expect(patternRule(url.source)).toBe("self.matches('^https?:\\\\/\\\\/[^\\\\s]+$')");
    for (const value of ["https://issuer.example.com", "issuer.example.com", "https://a b"]) {
      expect([value, holds(url, value)]).toEqual([value, url.test(value)]);
    }
    const quoted = /^[a-z']+$/;
    expect([holds(quoted, "it's"), holds(quoted, "it-s")]).toEqual([true, false]);
  });
});
