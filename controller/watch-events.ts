/**
 * Event intake: each watch event updates the `ClusterState` and queues what it changes. Apply order
 * never matters: every change to a referenced object re-queues the objects that refer to it.
 */
import type {
  BackendTrafficPolicyObject,
  EnvoyExtensionPolicyObject,
  GatewayBackendObject,
  HTTPRouteFilterObject,
  HTTPRouteObject,
} from "../api/external-kinds";
import {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  isStored,
  ObjectMeta,
} from "../api/v1alpha1";
import { MANAGED_BY, MANAGED_BY_LABEL, ROUTE_LABEL } from "../builders/metadata";
import { CONFIG_LABEL } from "../contract/route-config";
import type { ObjectMetadata } from "../lib/list-watch";
import type { AppliedObjects } from "./applied-objects";
import type { ChildKind } from "./cluster-client";
import { ChildObject, ClusterState, keyOf } from "./cluster-state";
import type { ConfigSecrets } from "./config-secrets";
import { requeueRoutesOfBackends } from "./requeue-routes";
import type { StatusWriter } from "./status-writer";
import type { WaitingGrace } from "./waiting-grace";
import type { WorkQueue } from "./work-queue";

export type Phase = "ADDED" | "MODIFIED" | "DELETED";

/** What the event handlers update, shared with the rest of the controller. */
export interface WatchEventParts {
  state: ClusterState;
  queue: WorkQueue;
  applied: AppliedObjects;
  configSecrets: ConfigSecrets;
  statuses: StatusWriter;
  grace: WaitingGrace;
  /** How long to wait after Envoy Gateway changes a child's status before reading it. */
  childStatusSettleMs: number;
}

/** A generated object with a status Envoy Gateway writes and the controller reads. */
interface GeneratedWithStatus extends ChildObject {
  spec?: unknown;
}

const isManagedChild = (object: { metadata?: ObjectMeta }) =>
  object.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
  !!object.metadata?.labels?.[ROUTE_LABEL];

/** The AIGatewayRoute that controls a generated object. */
const ownerRouteKey = (object: { metadata?: ObjectMeta }) => {
  const owner = object.metadata?.ownerReferences?.find(ref => ref.kind === "AIGatewayRoute");
  return owner ? `${object.metadata?.namespace}/${owner.name}` : undefined;
};

/**
 * Objects from the watches are kept, here and in the watch caches (which share them), for as long
 * as they exist. Their managedFields, about as large as the rest of a generated object, are never
 * read; nor is the spec of an object the controller generated (it reads only their status and
 * labels; what it wants them to be is rebuilt from the route). The watch caches compare only uids
 * and resourceVersions, so trimming the shared object is safe and halves what they hold.
 */
function dropUnreadFields(
  object: { metadata?: object; spec?: unknown },
  options: { generated?: boolean } = {},
): void {
  if (object.metadata) delete (object.metadata as { managedFields?: unknown }).managedFields;
  if (options.generated) delete object.spec;
}

const generationChanged = (
  previous: { metadata?: ObjectMeta } | undefined,
  next: { metadata?: ObjectMeta },
) => !previous || previous.metadata?.generation !== next.metadata?.generation;

/**
 * The handlers of every watched kind's events. Each keeps the object it is given (trimmed of fields
 * nothing reads); feed each every event of its kind, the initial list included.
 */
export class WatchEvents {
  constructor(private readonly parts: WatchEventParts) {}

  onRoute(route: AIGatewayRoute, phase: Phase): void {
    if (!isStored(route)) return;
    const { state, queue, statuses, grace, configSecrets } = this.parts;
    dropUnreadFields(route);
    const key = keyOf(route);
    if (phase === "DELETED") {
      state.removeRoute(key);
      statuses.forget("AIGatewayRoute", key);
      grace.end(key);
      configSecrets.routeDeleted(key);
    } else {
      configSecrets.routeExists(key);
      const previous = state.routes.get(key);
      state.setRoute(route);
      // Our own status writes come back as MODIFIED events; only a new generation is new work.
      if (!generationChanged(previous, route)) return;
    }
    queue.add(`route:${key}`);
  }

  onBackend(backend: AIServiceBackend, phase: Phase): void {
    const { state, queue, statuses } = this.parts;
    dropUnreadFields(backend);
    const key = keyOf(backend);
    const previous = state.backends.get(key);
    if (phase === "DELETED") {
      state.backends.delete(key);
      statuses.forget("AIServiceBackend", key);
    } else state.backends.set(key, backend);
    if (phase !== "DELETED" && !generationChanged(previous, backend)) return;
    queue.add(`backend:${key}`);
  }

  onPolicy(policy: BackendSecurityPolicy, phase: Phase): void {
    const { state, queue, statuses } = this.parts;
    dropUnreadFields(policy);
    const key = keyOf(policy);
    const previous = state.policies.get(key);
    if (phase === "DELETED") {
      state.policies.delete(key);
      statuses.forget("BackendSecurityPolicy", key);
      this.requeueRoutesOfBackends(previous ? state.backendsTargetedBy(previous) : []);
      return;
    }
    state.policies.set(key, policy);
    if (!generationChanged(previous, policy)) return;
    // A policy that stops targeting a backend changes that backend's routes too.
    const targets = new Set([
      ...(previous ? state.backendsTargetedBy(previous) : []),
      ...state.backendsTargetedBy(policy),
    ]);
    this.requeueRoutesOfBackends([...targets]);
    queue.add(`policy:${key}`);
  }

  /**
   * A Secret was created, changed or deleted (its metadata: the watch never carries data). Only a
   * Secret a policy names matters: it is read again by the reconciles it re-queues.
   */
  onSecret(secret: ObjectMetadata, _phase: Phase): void {
    const { state, queue } = this.parts;
    if (secret.metadata?.labels?.[CONFIG_LABEL]) return;
    const namespace = secret.metadata?.namespace ?? "";
    const name = secret.metadata?.name ?? "";
    const policies = state.policiesUsingSecret(namespace, name);
    if (policies.length === 0) return;
    state.secrets.forget(namespace, name);
    for (const policyKey of policies) {
      queue.add(`policy:${policyKey}`);
      const policy = state.policies.get(policyKey);
      if (policy) this.requeueRoutesOfBackends(state.backendsTargetedBy(policy));
    }
  }

  onGatewayBackend(backend: GatewayBackendObject, phase: Phase): void {
    const { state, queue } = this.parts;
    dropUnreadFields(backend, { generated: isManagedChild(backend) });
    const key = keyOf(backend);
    const previous = state.gatewayBackends.get(key);
    if (phase === "DELETED") state.gatewayBackends.delete(key);
    else state.gatewayBackends.set(key, backend);
    if (isManagedChild(backend)) {
      this.onChildChange("Backend", backend, previous, phase);
      return;
    }
    for (const backendKey of state.backendsUsingGatewayBackend(
      backend.metadata?.namespace ?? "",
      backend.metadata?.name ?? "",
    )) {
      queue.add(`backend:${backendKey}`);
      this.requeueRoutesOfBackends([backendKey]);
    }
  }

  onHttpRoute(route: HTTPRouteObject, phase: Phase): void {
    this.onChildWithStatus("HTTPRoute", this.parts.state.httpRoutes, route, phase);
  }

  onExtensionPolicy(policy: EnvoyExtensionPolicyObject, phase: Phase): void {
    this.onChildWithStatus(
      "EnvoyExtensionPolicy",
      this.parts.state.extensionPolicies,
      policy,
      phase,
    );
  }

  onHttpRouteFilter(filter: HTTPRouteFilterObject, phase: Phase): void {
    dropUnreadFields(filter, { generated: true });
    // Filters carry no status the controller reads: only their existence matters.
    this.onChildChange("HTTPRouteFilter", filter, undefined, phase);
  }

  onTrafficPolicy(policy: BackendTrafficPolicyObject, phase: Phase): void {
    dropUnreadFields(policy, { generated: true });
    // Its status is not read: without it only requests over the listener's buffer fail.
    this.onChildChange("BackendTrafficPolicy", policy, undefined, phase);
  }

  /** A generated object whose status the route reads, kept in `objects` until it is deleted. */
  private onChildWithStatus<T extends GeneratedWithStatus>(
    kind: ChildKind,
    objects: Map<string, T>,
    child: T,
    phase: Phase,
  ): void {
    dropUnreadFields(child, { generated: true });
    const key = keyOf(child);
    const previous = objects.get(key);
    if (phase === "DELETED") objects.delete(key);
    else objects.set(key, child);
    this.onChildChange(kind, child, previous, phase);
  }

  /**
   * A generated object changed: its route re-reads Envoy Gateway's status, re-creates a deleted
   * child, or prunes one it no longer wants (seen for the first time, e.g. after a restart).
   */
  private onChildChange(
    kind: ChildKind,
    child: ChildObject,
    previous: ChildObject | undefined,
    phase: Phase,
  ): void {
    const { state, queue, applied, childStatusSettleMs } = this.parts;
    state.trackChild(kind, child, phase !== "DELETED");
    const routeKey = ownerRouteKey(child);
    if (!routeKey) return;
    const namespace = child.metadata?.namespace ?? "";
    const name = child.metadata?.name ?? "";
    if (phase === "DELETED") {
      applied.forget(kind, namespace, name);
      queue.add(`route:${routeKey}`);
      return;
    }
    if (!previous && !applied.has(kind, namespace, name)) {
      queue.add(`route:${routeKey}`);
    } else if (JSON.stringify(previous?.status) !== JSON.stringify(child.status)) {
      // Envoy Gateway writes the status of a route's objects in quick succession: read them once.
      queue.addAfter(`route:${routeKey}`, childStatusSettleMs);
    }
  }

  private requeueRoutesOfBackends(backendKeys: string[]): void {
    requeueRoutesOfBackends(this.parts.state, this.parts.queue, backendKeys);
  }
}
