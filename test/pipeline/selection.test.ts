import { BackendHealth } from "../../pipeline/backend-health";
import { orderBackends } from "../../pipeline/backend-selection";
import { matchRule } from "../../pipeline/rule-match";
import { seededRandom } from "../support/seeded-random";
import { backend, modelRule, routeConfig } from "./fixtures";

const ids = (backends: { id: string }[]) => backends.map(b => b.id);

describe("matchRule", () => {
  const route = routeConfig([
    modelRule("gpt-4o", [backend("a")]),
    {
      ...modelRule("unused", [backend("b")]),
      matches: [
        { headers: [{ type: "RegularExpression", name: "x-ai-eg-model", value: "claude-.*" }] },
      ],
    },
    {
      ...modelRule("unused", [backend("c")]),
      matches: [
        {
          headers: [
            { type: "Exact", name: "x-ai-eg-model", value: "llama" },
            { type: "Exact", name: "X-Tenant", value: "blue" },
          ],
        },
      ],
    },
  ]);

  it.each([
    ["an exact model", { "x-ai-eg-model": "gpt-4o" }, 0],
    ["a regular expression over the whole value", { "x-ai-eg-model": "claude-3" }, 1],
    [
      "every header of a match (names are case-insensitive)",
      { "x-ai-eg-model": "llama", "x-tenant": "blue" },
      2,
    ],
  ])("matches %s", (_name, headers, index) => {
    expect(matchRule(route, headers)).toBe(route.rules[index]);
  });

  it.each([
    ["a model no rule names", { "x-ai-eg-model": "gpt-5" }],
    ["a regular expression matching only part of the value", { "x-ai-eg-model": "my-claude-3" }],
    ["a match with one header missing", { "x-ai-eg-model": "llama" }],
  ])("matches nothing for %s", (_name, headers) => {
    expect(matchRule(route, headers)).toBeUndefined();
  });

  /** What `^(?:pattern)$` would say in JavaScript's engine; "error" when it does not compile. */
  const javaScriptMatch = (pattern: string, value: string) => {
    try {
      return new RegExp(`^(?:${pattern})$`).test(value);
    } catch {
      return "error";
    }
  };

  /** [pattern, header value, whether RE2 (Envoy) matches the whole value] */
  it.each([
    ["(?i)gpt-4o", "GPT-4o", true],
    ["gpt-4o\\z", "gpt-4o", true],
    ["gpt-4o\\z", "gpt-4oz", false],
    ["gpt\\s4o", "gpt\u00a04o", false],
    ["\\pL+-4o", "gpt-4o", true],
    ["gpt-[[:digit:]]o", "gpt-4o", true],
    ["\\Qgpt-4o.mini\\E", "gpt-4o.mini", true],
  ])("matches %j against %j as RE2 does, where JavaScript differs", (pattern, value, re2) => {
    const rule = {
      ...modelRule("unused", [backend("a")]),
      matches: [
        {
          headers: [{ type: "RegularExpression" as const, name: "x-ai-eg-model", value: pattern }],
        },
      ],
    };
    expect(javaScriptMatch(pattern, value)).not.toBe(re2);
    expect(matchRule(routeConfig([rule]), { "x-ai-eg-model": value })).toBe(re2 ? rule : undefined);
  });

  it("takes every request for a rule without matches", () => {
    const catchAll = { ...modelRule("x", [backend("a")]), matches: [] };
    expect(matchRule(routeConfig([catchAll]), {})).toBe(catchAll);
  });
});

describe("orderBackends", () => {
  const now = { ms: 0 };
  const health = () => new BackendHealth({ now: () => now.ms, coolDownMs: 1000 });

  it("orders by priority, lowest first, and leaves out backends of weight 0", () => {
    const backends = [
      backend("fallback", { priority: 1 }),
      backend("off", { weight: 0 }),
      backend("primary"),
    ];
    expect(ids(orderBackends(backends, health()))).toEqual(["default/primary", "default/fallback"]);
  });

  it("picks within a priority in proportion to the weights", () => {
    const backends = [backend("heavy", { weight: 3 }), backend("light", { weight: 1 })];
    const random = seededRandom(7);
    const firsts = Array.from(
      { length: 4000 },
      () => orderBackends(backends, health(), random)[0].id,
    );
    const heavyShare = firsts.filter(id => id === "default/heavy").length / firsts.length;
    expect(heavyShare).toBeGreaterThan(0.72);
    expect(heavyShare).toBeLessThan(0.78);
  });

  it("tries a backend in its cool-down last, and again once the cool-down is over", () => {
    const state = health();
    const backends = [backend("a"), backend("b", { priority: 1 })];
    state.recordFailure("default/a");
    expect(ids(orderBackends(backends, state))).toEqual(["default/b", "default/a"]);
    now.ms += 1000;
    expect(ids(orderBackends(backends, state))).toEqual(["default/a", "default/b"]);
  });

  it("forgets a failure when the backend succeeds", () => {
    const state = health();
    state.recordFailure("default/a");
    state.recordSuccess("default/a");
    expect(state.isCoolingDown("default/a")).toBe(false);
  });
});
