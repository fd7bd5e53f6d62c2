/**
 * The Envoy Gateway Backend that points at the ext_proc server, and the EnvoyExtensionPolicy that
 * puts the ext_proc filter in front of an AIGatewayRoute's HTTPRoute.
 */
import { ENVOY_GATEWAY_GROUP } from "../api/v1alpha1";
import { METADATA_NAMESPACE } from "../contract/route-config";
import { childMetadata, childName, routeParent } from "./metadata";
import type { RouteObject } from "../resolve/resolved";
import type { ControllerSettings } from "../controller/settings";

export const extProcBackendName = (route: RouteObject) =>
  childName("ai-eg-extproc", route.metadata.name);
export const extensionPolicyName = (route: RouteObject) =>
  childName("ai-eg-extproc", route.metadata.name);

/** The ext_proc server's address, as an Envoy Gateway Backend in the route's namespace. */
export function buildExtProcBackend(route: RouteObject, settings: ControllerSettings) {
  return {
    apiVersion: `${ENVOY_GATEWAY_GROUP}/v1alpha1`,
    kind: "Backend",
    metadata: childMetadata(routeParent(route), extProcBackendName(route)),
    spec: {
      endpoints: [{ fqdn: { hostname: settings.extProcHost, port: settings.extProcPort } }],
      // gRPC needs HTTP/2; the ext_proc server speaks it in clear text inside the cluster.
      appProtocols: ["gateway.envoyproxy.io/h2c"],
    },
  };
}

/**
 * Sends every request of the route through the ext_proc server: the request body buffered (the
 * model is in it), the response body buffered too but switchable to streamed for SSE, a message
 * timeout in seconds (Envoy's 200 ms default is far too short for a token fetch or a large body),
 * the route name so the server finds the route's config, and no fail-open: a request the gateway
 * could not translate or authenticate must not reach a provider.
 */
export function buildExtensionPolicy(route: RouteObject, settings: ControllerSettings) {
  return {
    apiVersion: `${ENVOY_GATEWAY_GROUP}/v1alpha1`,
    kind: "EnvoyExtensionPolicy",
    metadata: childMetadata(routeParent(route), extensionPolicyName(route)),
    spec: {
      targetRefs: [
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route.metadata.name },
      ],
      extProc: [
        {
          backendRefs: [
            {
              group: ENVOY_GATEWAY_GROUP,
              kind: "Backend",
              name: extProcBackendName(route),
              port: settings.extProcPort,
            },
          ],
          messageTimeout: settings.extProcMessageTimeout,
          failOpen: false,
          processingMode: {
            request: { body: "Buffered", attributes: ["xds.route_name"] },
            response: { body: "Buffered" },
            allowModeOverride: true,
          },
          metadata: { writableNamespaces: [METADATA_NAMESPACE] },
        },
      ],
    },
  };
}
