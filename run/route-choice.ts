/**
 * Which AIGatewayRoute serves a request when there is no Envoy to say: in a cluster Envoy matches
 * the request to an HTTPRoute (by hostname, then by the model header the ext_proc server sets);
 * here the first route, in the order the files gave them, that has a rule for the request's model.
 */
import { MODEL_HEADER } from "../api/v1alpha1";
import { jsonAnswer, type GatewayAnswer } from "../pipeline/answer";
import { modelEntries } from "../pipeline/models";
import { matchRule } from "../pipeline/rule-match";
import type { RouteStore } from "../pipeline/route-store";

const decoder = new TextDecoder();

/** The `model` of a JSON body, if it has one; the pipeline reports a body that is not JSON. */
function modelOf(body: Uint8Array): string | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(body));
    if (typeof value !== "object" || value === null) return undefined;
    const model = (value as { model?: unknown }).model;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key of the route for a request, or undefined when no route is served. A request no route has
 * a rule for goes to the first route, whose pipeline answers it (404 for an unknown model).
 */
export function chooseRoute(
  routes: RouteStore,
  headers: Record<string, string>,
  body: Uint8Array,
): string | undefined {
  const keys = routes.keys();
  // One route, the usual case locally: no need to read the body twice.
  if (keys.length <= 1) return keys[0];
  const model = modelOf(body);
  if (model === undefined) return keys[0];
  const withModel = { ...headers, [MODEL_HEADER]: model };
  return keys.find(key => matchRule(routes.get(key)!, withModel)) ?? keys[0];
}

/** `GET /v1/models`: the models of every route served, each once, in route order. */
export function modelsOfAllRoutes(routes: RouteStore): GatewayAnswer {
  const seen = new Set<string>();
  const data = routes.keys().flatMap(key => modelEntries(routes.get(key)!, seen));
  return jsonAnswer(200, { object: "list", data });
}
