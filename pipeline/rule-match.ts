/**
 * Which rule of a route serves a request: the first whose matches hold for the request's headers,
 * as Envoy matches the HTTPRoute rules it is generated into. A rule without matches takes every
 * request.
 */
import { RE2JS } from "re2js";
import type { RouteConfig, RuleConfig } from "../contract/route-config";

type HeaderMatch = RuleConfig["matches"][number]["headers"][number];

/** Compiled patterns, per match object of a config: a config is immutable once loaded. */
const patterns = new WeakMap<HeaderMatch, RE2JS>();

/** Envoy matches a header regex with RE2, against the whole value (`testExact`). */
function patternOf(match: HeaderMatch): RE2JS {
  let pattern = patterns.get(match);
  if (!pattern) {
    pattern = RE2JS.compile(match.value);
    patterns.set(match, pattern);
  }
  return pattern;
}

function headerMatches(match: HeaderMatch, headers: Record<string, string>): boolean {
  const value = headers[match.name.toLowerCase()];
  if (value === undefined) return false;
  return match.type === "RegularExpression"
    ? patternOf(match).testExact(value)
    : value === match.value;
}

/** The rule that serves a request with `headers` (lower-case names), or undefined. */
export function matchRule(
  route: RouteConfig,
  headers: Record<string, string>,
): RuleConfig | undefined {
  return route.rules.find(
    rule =>
      rule.matches.length === 0 ||
      rule.matches.some(match => match.headers.every(header => headerMatches(header, headers))),
  );
}
