import { BackendAuthRegistry } from "../../auth/registry";
import { InvalidRouteConfig, RouteStore } from "../../pipeline/route-store";
import { backend, modelRule, ROUTE_KEY, routeConfig } from "./fixtures";

/** A route document whose backend lost its weight and that gained an unknown field. */
function mistyped(): string {
  const document = JSON.parse(JSON.stringify(routeConfig([modelRule("m", [backend("a")])])));
  delete document.rules[0].backends[0].weight;
  return JSON.stringify({ ...document, extra: true });
}

describe("RouteStore", () => {
  const setUp = () => {
    const auth = new BackendAuthRegistry();
    return { auth, routes: new RouteStore(auth) };
  };

  it("serves a document under its route's key, and installs its backends' credentials", () => {
    const { auth, routes } = setUp();
    const route = routeConfig([modelRule("gpt-4o", [backend("openai")])]);
    expect(routes.load(JSON.stringify(route), "route.json")).toBe(ROUTE_KEY);
    expect(routes.get(ROUTE_KEY)).toEqual(route);
    expect(auth.backendIds()).toEqual(["default/openai"]);
  });

  it.each([
    ["text that is not JSON", "{", /^route\.json: not JSON \(at position 1\)$/],
    ["a credential that is not JSON", "sk-CANARY-key", /^route\.json: not JSON$/],
    [
      "a document of another version",
      JSON.stringify({ ...routeConfig([]), version: "aigw.config/v2" }),
      /^route\.json: version: Invalid input: expected "aigw.config\/v3"$/,
    ],
    [
      "a backend without its weight, and an unknown field",
      mistyped(),
      /^route\.json: rules\[0\]\.backends\[0\]\.weight: Invalid input: expected number, received undefined; 1 unknown field$/,
    ],
  ])("refuses %s, keeping what it served", (_name, document, message) => {
    const { routes } = setUp();
    const good = routeConfig([modelRule("gpt-4o", [backend("openai")])]);
    routes.load(good, "first");
    expect(() => routes.load(document, "route.json")).toThrow(InvalidRouteConfig);
    expect(() => routes.load(document, "route.json")).toThrow(message);
    expect(routes.get(ROUTE_KEY)).toEqual(good);
  });

  it("never puts a credential in a refusal", () => {
    const { routes } = setUp();
    const leaky = routeConfig([
      modelRule("m", [backend("a", { auth: { type: "APIKey", apiKey: "sk-CANARY" }, weight: -1 })]),
    ]);
    const bad = { ...leaky, "sk-CANARY-key": 1 };
    expect(() => routes.load(bad, "doc")).toThrow(InvalidRouteConfig);
    try {
      routes.load(bad, "doc");
    } catch (error) {
      expect(String(error)).not.toContain("CANARY");
    }
  });

  it("drops a backend's credentials when no route uses the backend any more", () => {
    const { auth, routes } = setUp();
    routes.load(routeConfig([modelRule("m", [backend("a"), backend("b")])]), "v1");
    routes.load(routeConfig([modelRule("m", [backend("b")])], { name: "other" }), "other");
    routes.load(routeConfig([modelRule("m", [backend("a")])]), "v2");
    expect(auth.backendIds().sort()).toEqual(["default/a", "default/b"]);
    routes.remove("default/other");
    expect(auth.backendIds()).toEqual(["default/a"]);
    routes.remove(ROUTE_KEY);
    expect(auth.backendIds()).toEqual([]);
  });
});
