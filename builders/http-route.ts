/** The Gateway API HTTPRoute (and its Envoy Gateway filters) generated for an AIGatewayRoute. */
import { ENVOY_GATEWAY_GROUP, MAX_DISTINCT_BACKENDS, RESERVED_RULE_NAME } from "../api/v1alpha1";
import { SELECTED_BACKEND_HEADER } from "../contract/route-config";
import { longerDuration } from "./durations";
import { childMetadata, childName, routeParent } from "./metadata";
import { backendIdOf, distinctBackendIds, RouteInputs, RouteObject } from "../resolve/resolved";

/** A route's request timeout when its rule gives none: model responses are slow. */
export const DEFAULT_REQUEST_TIMEOUT = "60s";

export const NOT_FOUND_MESSAGE =
  "No matching route found. It is likely because the model specified in your request is not configured in the Gateway.";

export const hostRewriteFilterName = (route: RouteObject) =>
  childName("ai-eg-host-rewrite", route.metadata.name);
export const notFoundFilterName = (route: RouteObject) =>
  childName("ai-eg-route-not-found", route.metadata.name);

const extensionRef = (name: string) => ({
  type: "ExtensionRef",
  extensionRef: { group: ENVOY_GATEWAY_GROUP, kind: "HTTPRouteFilter", name },
});

/** Rewrites the Host header to the provider's hostname from its Envoy Gateway Backend. */
export function buildHostRewriteFilter(route: RouteObject) {
  return {
    apiVersion: `${ENVOY_GATEWAY_GROUP}/v1alpha1`,
    kind: "HTTPRouteFilter",
    metadata: childMetadata(routeParent(route), hostRewriteFilterName(route)),
    spec: { urlRewrite: { hostname: { type: "Backend" } } },
  };
}

/** Answers 404 when the ext_proc server selected no backend (no rule matched the model). */
export function buildNotFoundFilter(route: RouteObject) {
  return {
    apiVersion: `${ENVOY_GATEWAY_GROUP}/v1alpha1`,
    kind: "HTTPRouteFilter",
    metadata: childMetadata(routeParent(route), notFoundFilterName(route)),
    spec: {
      directResponse: {
        statusCode: 404,
        contentType: "text/plain",
        body: { type: "Inline", inline: NOT_FOUND_MESSAGE },
      },
    },
  };
}

/** The timeouts of the HTTPRoute rule for one backend: the longest of the AI rules that use it. */
function timeoutsFor(route: RouteObject, backendId: string) {
  let request: string | undefined;
  let backendRequest: string | undefined;
  for (const rule of route.spec.rules) {
    if (!(rule.backendRefs ?? []).some(ref => backendIdOf(route, ref) === backendId)) continue;
    request = longerDuration(request, rule.timeouts?.request ?? DEFAULT_REQUEST_TIMEOUT);
    backendRequest = longerDuration(backendRequest, rule.timeouts?.backendRequest);
  }
  return {
    request: request ?? DEFAULT_REQUEST_TIMEOUT,
    ...(backendRequest ? { backendRequest } : {}),
  };
}

/**
 * The HTTPRoute: one rule per distinct backend, matching the header the ext_proc server sets to the
 * backend it selected and sending to that backend's Envoy Gateway Backend, and a catch-all rule so
 * every request reaches the ext_proc filter first and gets a 404 when nothing was selected.
 * Backends that do not resolve get no rule (the route's status names them).
 */
export function buildHttpRoute({ route, backends }: RouteInputs) {
  const backendRules = distinctBackendIds(route)
    .slice(0, MAX_DISTINCT_BACKENDS)
    .flatMap(id => {
      const backend = backends.get(id);
      if (!backend?.spec) return [];
      const ref = backend.spec.backendRef;
      return [
        {
          matches: [{ headers: [{ type: "Exact", name: SELECTED_BACKEND_HEADER, value: id }] }],
          filters: [extensionRef(hostRewriteFilterName(route))],
          backendRefs: [
            {
              group: ref.group,
              kind: ref.kind,
              name: ref.name,
              ...(ref.namespace && ref.namespace !== route.metadata.namespace
                ? { namespace: ref.namespace }
                : {}),
            },
          ],
          timeouts: timeoutsFor(route, id),
        },
      ];
    });
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: childMetadata(routeParent(route), route.metadata.name),
    spec: {
      parentRefs: route.spec.parentRefs ?? [],
      ...(route.spec.hostnames?.length ? { hostnames: route.spec.hostnames } : {}),
      rules: [
        ...backendRules,
        { name: RESERVED_RULE_NAME, filters: [extensionRef(notFoundFilterName(route))] },
      ],
    },
  };
}
