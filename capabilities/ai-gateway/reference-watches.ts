/**
 * Watches of the objects the AI Gateway kinds refer to (Secrets, Envoy Gateway Backends) and of the
 * objects generated for routes (whose status Envoy Gateway writes). One kfc watch per kind, each
 * seeing every phase, feeds the controller; Pepr bindings would need two watches (and two object
 * caches) per kind for the same. Secrets are watched by their metadata only: the controller reads
 * the few that policies name when it needs them, and never holds the rest of the cluster's.
 */
import { K8s } from "pepr";
import { WatchEvent } from "kubernetes-fluent-client";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../../builders/metadata";
import { CONFIG_LABEL } from "../../contract/route-config";
import { RESOURCE_TYPES } from "../../api/resource-types";
import { componentLogger } from "../../lib/logger";
import { ListWatch, type ObjectMetadata } from "../../lib/list-watch";
import { kubeApi } from "./api-connection";
import type { Controller, Phase } from "../../controller/controller";
import {
  Backend,
  BackendTrafficPolicy,
  EnvoyExtensionPolicy,
  HTTPRoute,
  HTTPRouteFilter,
} from "../kinds";
import { errorMessage } from "../../lib/error-message";

const log = componentLogger("watches");

/** Failures in a row before the Secret watch gives up: its back-off reaches 30 s by the seventh. */
const SECRET_WATCH_MAX_FAILURES = 10;

function exitForFreshList(error: unknown): never {
  log.error("a watch gave up; exiting so the controller restarts with a fresh list", {
    error: errorMessage(error),
  });
  process.exit(1);
}

const isPhase = (phase: string): phase is Phase =>
  phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED";

/**
 * Starts the watches and resolves once each has delivered its initial list. A watch that gives up
 * ends the process so the Deployment restarts it fresh.
 */
export async function watchReferences(controller: Controller): Promise<void> {
  const watchers = [
    K8s(Backend).Watch((backend, phase) => {
      if (isPhase(phase)) controller.events.onGatewayBackend(backend, phase);
    }),
    K8s(HTTPRoute)
      .WithLabel(MANAGED_BY_LABEL, MANAGED_BY)
      .Watch((route, phase) => {
        if (isPhase(phase)) controller.events.onHttpRoute(route, phase);
      }),
    K8s(EnvoyExtensionPolicy)
      .WithLabel(MANAGED_BY_LABEL, MANAGED_BY)
      .Watch((policy, phase) => {
        if (isPhase(phase)) controller.events.onExtensionPolicy(policy, phase);
      }),
    K8s(HTTPRouteFilter)
      .WithLabel(MANAGED_BY_LABEL, MANAGED_BY)
      .Watch((filter, phase) => {
        if (isPhase(phase)) controller.events.onHttpRouteFilter(filter, phase);
      }),
    K8s(BackendTrafficPolicy)
      .WithLabel(MANAGED_BY_LABEL, MANAGED_BY)
      .Watch((policy, phase) => {
        if (isPhase(phase)) controller.events.onTrafficPolicy(policy, phase);
      }),
  ];
  // Not our own configuration Secrets: each route change rewrites one.
  const secrets = new ListWatch<ObjectMetadata>(kubeApi, RESOURCE_TYPES.Secret, {
    mode: "metadata",
    labelSelector: `!${CONFIG_LABEL}`,
    onEvent: (secret, phase) => controller.events.onSecret(secret, phase),
    onRetry: (error, attempt) =>
      log.warn("the Secret metadata watch failed; it retries", { error, attempt }),
    // As the other watches do: a controller that can no longer see Secrets would judge policies
    // on a stale view; a fresh start lists again. About two minutes of back-off come first.
    maxFailures: SECRET_WATCH_MAX_FAILURES,
    onGaveUp: exitForFreshList,
  });
  await secrets.start();
  for (const watcher of watchers) {
    watcher.events.on(WatchEvent.GIVE_UP, exitForFreshList);
    await watcher.start();
  }
}
