/**
 * The AIGatewayRoute reconcile: applies the route's generated objects, prunes those it no longer
 * wants, writes its ext_proc configuration, and sets its status from what was resolved and what
 * Envoy Gateway reports.
 */
import { extensionPolicyName, extProcBackendName } from "../builders/extension-policy";
import { labelValue } from "../builders/metadata";
import { buildRouteConfig } from "../builders/route-config";
import { buildRouteChildren } from "../builders/route-children";
import { isNamespaceTerminating } from "../lib/kube-api";
import type { RouteObject } from "../resolve/resolved";
import { resolveRoute } from "../resolve/route";
import { ACCEPTED } from "../status/conditions";
import { WAITING_FOR_ENVOY_GATEWAY } from "../status/envoy-gateway-status";
import { routeVerdict } from "../status/verdicts";
import type { AppliedObjects } from "./applied-objects";
import type { ClusterClient, GeneratedObject } from "./cluster-client";
import type { ClusterState } from "./cluster-state";
import type { ConfigSecrets } from "./config-secrets";
import type { ControllerSettings } from "./settings";
import type { StatusWriter } from "./status-writer";
import type { WaitingGrace } from "./waiting-grace";

/** What the route reconcile reads and writes, shared with the rest of the controller. */
export interface RouteReconcileParts {
  client: ClusterClient;
  settings: ControllerSettings;
  state: ClusterState;
  applied: AppliedObjects;
  configSecrets: ConfigSecrets;
  statuses: StatusWriter;
  grace: WaitingGrace;
}

export class RouteReconciler {
  constructor(private readonly parts: RouteReconcileParts) {}

  /** Reconciles the route `key` (`namespace/name`), or removes the configuration of a gone one. */
  async reconcile(key: string): Promise<void> {
    const { state, settings, applied, configSecrets, statuses, grace } = this.parts;
    const [namespace] = key.split("/");
    const route = state.routes.get(key);
    // The children go with their owner; the configuration lives elsewhere and must be removed.
    if (!route) return configSecrets.removeIfGone(key);
    await state.secrets.load(state.secretsOfRoute(route));
    const inputs = resolveRoute(state, route);
    const children: GeneratedObject[] = buildRouteChildren(inputs, settings);
    try {
      for (const child of children) await applied.apply(child);
    } catch (error) {
      // The namespace is being deleted, the route with it: nothing left to wire.
      if (isNamespaceTerminating(error)) return;
      throw error;
    }
    await this.pruneChildren(route, children);

    await configSecrets.write(key, buildRouteConfig(inputs));

    const verdict = routeVerdict(inputs, {
      httpRoute: state.httpRoutes.get(key)?.status,
      extensionPolicy: state.extensionPolicies.get(`${namespace}/${extensionPolicyName(route)}`)
        ?.status,
      extProcBackend: state.gatewayBackends.get(`${namespace}/${extProcBackendName(route)}`)
        ?.status,
    });
    const told = route.status?.conditions?.find(c => c.type === ACCEPTED)?.reason;
    // A route that already says it waits has nothing to hold back.
    if (
      verdict.reason === WAITING_FOR_ENVOY_GATEWAY &&
      told !== WAITING_FOR_ENVOY_GATEWAY &&
      grace.stillInGrace(key)
    )
      return;
    grace.end(key);
    await statuses.write("AIGatewayRoute", route, verdict);
  }

  /**
   * Deletes the route's children (as the watches report them) that the current spec no longer
   * produces. A child the watches have not reported yet is pruned when its first event re-queues
   * the route, so this never needs to LIST.
   */
  private async pruneChildren(route: RouteObject, wanted: GeneratedObject[]): Promise<void> {
    const { client, state, applied } = this.parts;
    const { namespace, name } = route.metadata;
    const wantedNames = new Set(wanted.map(child => `${child.kind}/${child.metadata.name}`));
    for (const child of state.childrenOf(namespace, labelValue(name))) {
      if (wantedNames.has(`${child.kind}/${child.name}`)) continue;
      await client.deleteChild(child.kind, namespace, child.name);
      applied.forget(child.kind, namespace, child.name);
    }
  }
}
