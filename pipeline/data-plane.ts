/**
 * The parts every front door of the data plane is built from, wired the same way for both: the
 * credentials registry, the routes, the metrics, the request pipeline, the pooled upstream client,
 * and the observer that writes each request's log line and metrics.
 */
import type { Logger } from "winston";
import { BackendAuthRegistry } from "../auth/registry";
import { BackendHealth } from "./backend-health";
import { Gateway } from "./gateway";
import { GatewayMetrics, observeAll } from "./metrics";
import type { RequestObserver } from "./observer";
import { RequestLog } from "./request-log";
import { RouteStore } from "./route-store";
import { UpstreamClient } from "./upstream-client";

export interface DataPlaneSettings {
  coolDownSeconds: number;
  fallbackBudgetSeconds: number;
}

export interface DataPlane {
  auth: BackendAuthRegistry;
  routes: RouteStore;
  metrics: GatewayMetrics;
  gateway: Gateway;
  upstream: UpstreamClient;
  observer: RequestObserver;
}

export function assembleDataPlane(settings: DataPlaneSettings, logger: Logger): DataPlane {
  const auth = new BackendAuthRegistry();
  const routes = new RouteStore(auth);
  const metrics = new GatewayMetrics();
  const gateway = new Gateway({
    routes,
    auth,
    health: new BackendHealth({ coolDownMs: settings.coolDownSeconds * 1000 }),
    fallbackBudgetMs: settings.fallbackBudgetSeconds * 1000,
    onProblem: message => logger.warn(message),
  });
  return {
    auth,
    routes,
    metrics,
    gateway,
    upstream: new UpstreamClient(),
    observer: observeAll(new RequestLog(logger), metrics),
  };
}
