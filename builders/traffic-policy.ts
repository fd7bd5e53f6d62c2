/**
 * The BackendTrafficPolicy that lets large requests through the ext_proc filter.
 *
 * The filter buffers the request body (the model is in it), and Envoy answers 413 to a body larger
 * than the stream's buffer limit: the listener's 32 KiB by default, which a long conversation or one
 * image passes. Envoy Gateway's `requestBuffer` puts Envoy's buffer filter on every Envoy route of
 * the HTTPRoute, ahead of the ext_proc filter, and that filter raises the stream's buffer limit to
 * its own before the body arrives. The listener and the Gateway stay the user's: only the
 * generated routes buffer more.
 */
import { ENVOY_GATEWAY_GROUP } from "../api/v1alpha1";
import { childMetadata, childName, routeParent } from "./metadata";
import type { RouteObject } from "../resolve/resolved";
import type { ControllerSettings } from "../controller/settings";

export const trafficPolicyName = (route: RouteObject) =>
  childName("ai-eg-request-buffer", route.metadata.name);

export function buildTrafficPolicy(route: RouteObject, settings: ControllerSettings) {
  return {
    apiVersion: `${ENVOY_GATEWAY_GROUP}/v1alpha1`,
    kind: "BackendTrafficPolicy",
    metadata: childMetadata(routeParent(route), trafficPolicyName(route)),
    spec: {
      targetRefs: [
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route.metadata.name },
      ],
      // Merged into the user's BackendTrafficPolicy of the Gateway (rate limits on the route's
      // costs, retries) instead of replacing it for this route.
      mergeType: "StrategicMerge",
      requestBuffer: { limit: settings.requestBufferLimit },
    },
  };
}
