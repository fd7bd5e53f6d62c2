/**
 * Which AIGatewayRoute serves a request when there is no Envoy to say. In a cluster Envoy matches
 * the request to an HTTPRoute by its hostnames, then by the model header the ext_proc server sets;
 * here the routes whose `hostnames` take the request's `Host` (a route without any takes every
 * host), and among them the first, in the order the files gave them, with a rule for the model.
 */
import { GatewayError, jsonAnswer, type GatewayAnswer } from "../pipeline/answer";
import { modelEntries, type ModelEntry } from "../pipeline/models";
import { matchRule } from "../pipeline/rule-match";
import type { RouteStore } from "../pipeline/route-store";
import type { ModelDiscovery } from "./model-discovery";

/**
 * The host name of a `Host` header: lower-case, without its port, an IPv6 address's brackets or a
 * trailing dot; undefined without a header.
 */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const host = header.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).replace(/\.$/, "");
}

/**
 * Whether a route with `hostnames` serves the host `name` (`hostNameOf`), as Gateway API matches
 * them: exactly, or for a wildcard `*.example.com`, any host with at least one more label before
 * `.example.com`.
 */
export function servesHost(hostnames: readonly string[], name: string | undefined): boolean {
  if (hostnames.length === 0) return true;
  if (name === undefined) return false;
  return hostnames.some(pattern => {
    const wanted = pattern.toLowerCase();
    if (!wanted.startsWith("*.")) return name === wanted;
    const suffix = wanted.slice(1);
    return name.length > suffix.length && name.endsWith(suffix);
  });
}

/** The keys of the routes that serve `host`, in route order. */
export function routesForHost(routes: RouteStore, host: string | undefined): string[] {
  const name = hostNameOf(host);
  return routes.keys().filter(key => servesHost(routes.get(key)!.hostnames, name));
}

/** The answer when routes are served, but none for the request's host (Envoy's 404, explained). */
export function noRouteForHost(routes: RouteStore, host: string | undefined): GatewayAnswer {
  const served = [...new Set(routes.keys().flatMap(key => routes.get(key)!.hostnames))];
  return new GatewayError(
    404,
    `no AIGatewayRoute serves the host \`${host ?? ""}\`; the routes' hostnames are: ${served.join(", ")}`,
    "route_not_found",
    "invalid_request_error",
  ).toAnswer();
}

/**
 * Among `candidates` (route keys), the first with a rule for the request; the first of them when
 * none has, so that its pipeline answers (404 for an unknown model). `headers` carry the model.
 */
export function routeForModel(
  routes: RouteStore,
  candidates: readonly string[],
  headers: Record<string, string>,
): string {
  if (candidates.length === 1) return candidates[0];
  return candidates.find(key => matchRule(routes.get(key)!, headers)) ?? candidates[0];
}

/**
 * `GET /v1/models`: the models of the routes given, each once, in route order: those a rule names,
 * then those its backends list for a rule that matches by pattern (with `discovery`).
 */
export async function modelsOfRoutes(
  routes: RouteStore,
  keys: readonly string[],
  discovery?: ModelDiscovery,
): Promise<GatewayAnswer> {
  const seen = new Set<string>();
  const data: ModelEntry[] = [];
  for (const key of keys) {
    // A reload may have removed the route while an earlier one was listing.
    const route = routes.get(key);
    if (!route) continue;
    data.push(...modelEntries(route, seen));
    if (discovery) data.push(...(await discovery.entries(route, seen)));
  }
  return jsonAnswer(200, { object: "list", data });
}
