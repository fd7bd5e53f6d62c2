/** Everything the controller writes for one AIGatewayRoute, built by the pure builders. */
import { buildExtensionPolicy, buildExtProcBackend } from "./extension-policy";
import { buildHostRewriteFilter, buildHttpRoute, buildNotFoundFilter } from "./http-route";
import { buildTrafficPolicy } from "./traffic-policy";
import type { RouteInputs } from "../resolve/resolved";
import type { ControllerSettings } from "../controller/settings";

/**
 * The objects generated in the route's namespace and owned by it, in apply order: the filters and
 * the ext_proc Backend before the HTTPRoute and the policies that refer to them.
 */
export function buildRouteChildren(inputs: RouteInputs, settings: ControllerSettings) {
  const { route } = inputs;
  return [
    buildHostRewriteFilter(route),
    buildNotFoundFilter(route),
    buildExtProcBackend(route, settings),
    buildHttpRoute(inputs),
    buildExtensionPolicy(route, settings),
    buildTrafficPolicy(route, settings),
  ];
}
