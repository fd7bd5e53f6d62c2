/**
 * The reconcile logic of the three kinds: watch events update the `ClusterState` and put keys on
 * the work queue; a worker resolves references from the state, applies the pure builders' output,
 * writes the route's ext_proc configuration, and sets status. Apply order never matters: every
 * change to a referenced object re-queues the objects that refer to it.
 */
import { createHash } from "node:crypto";
import type {
  EnvoyExtensionPolicyObject,
  GatewayBackendObject,
  HTTPRouteFilterObject,
  HTTPRouteObject,
  SecretObject,
} from "../api/external-kinds";
import {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  isStored,
  ObjectMeta,
  Status,
} from "../api/v1alpha1";
import { statusFor, sameStatus, Verdict, ACCEPTED } from "../status/conditions";
import { resolveCredentials } from "../resolve/credentials";
import { extensionPolicyName, extProcBackendName } from "../builders/extension-policy";
import {
  CONFIG_LABEL,
  labelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  ROUTE_LABEL,
} from "../builders/metadata";
import { WAITING_FOR_ENVOY_GATEWAY } from "../status/envoy-gateway-status";
import { gatewayBackendProblem, resolveRoute } from "../resolve/route";
import type { RouteObject } from "../resolve/resolved";
import { buildConfigSecret, buildRouteConfig } from "../builders/route-config";
import { buildRouteChildren } from "../builders/route-children";
import type { ControllerSettings } from "./settings";
import { backendVerdict, policyVerdict, routeVerdict } from "../status/verdicts";
import { configSecretName } from "../contract/route-config";
import { isNamespaceTerminating } from "../lib/kube-api";
import { componentLogger } from "../lib/logger";
import type { ChildKind, ClusterClient, GeneratedObject, ParentKind } from "./cluster-client";
import { ChildObject, ClusterState, keyOf } from "./cluster-state";
import { QueueOptions, WorkQueue } from "./work-queue";

const log = componentLogger("reconcilers");

export type Phase = "ADDED" | "MODIFIED" | "DELETED";

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  concurrency: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

export interface ControllerOptions {
  queue?: QueueOptions;
  now?: () => Date;
  /**
   * How long a route's status may stay unwritten while only Envoy Gateway's report is missing (it
   * usually comes within moments): a new route then gets one status write, not two. Default 2 s.
   */
  waitingGraceMs?: number;
  /** How long to wait after Envoy Gateway changes a child's status before reading it. Default 100 ms. */
  childStatusSettleMs?: number;
}

interface StatusHolder {
  metadata?: ObjectMeta;
  status?: Status;
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

/** What the cache of applied objects keeps: a digest, not a copy. */
const digestOf = (json: string) => createHash("sha256").update(json).digest("base64");

/** The Accepted status a condition tells users; waiting for Envoy Gateway tells nothing new. */
const toldBy = (condition: { status: string; reason: string } | undefined) =>
  condition && condition.reason !== WAITING_FOR_ENVOY_GATEWAY ? condition.status : undefined;

const generationChanged = (previous: StatusHolder | undefined, next: StatusHolder) =>
  !previous || previous.metadata?.generation !== next.metadata?.generation;

export class Controller {
  readonly state = new ClusterState();
  readonly queue: WorkQueue;
  /** A digest of the last object applied per child, so an unchanged child is not applied again. */
  private readonly applied = new Map<string, string>();
  /** The routes that have a configuration Secret (written, or found at start). */
  private readonly configured = new Set<string>();
  /** Routes with a configuration Secret but no AIGatewayRoute, by how many resyncs found them so. */
  private readonly orphans = new Map<string, number>();
  /**
   * Routes whose configuration goes: deleted, or orphaned. A route merely absent from the state may
   * not have been listed yet (a child's event can come first after a restart): its Secret stays.
   */
  private readonly gone = new Set<string>();
  /** The Accepted status the last event told about each object (`Kind/namespace/name`). */
  private readonly announced = new Map<string, string | undefined>();

  private readonly now: () => Date;
  private readonly timing: { waitingGraceMs: number; childStatusSettleMs: number };
  /** When each route was first found waiting for Envoy Gateway, while that is not yet written. */
  private readonly waitingSince = new Map<string, number>();

  constructor(
    private readonly client: ClusterClient,
    private readonly settings: ControllerSettings,
    options: ControllerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.timing = {
      waitingGraceMs: options.waitingGraceMs ?? 2_000,
      childStatusSettleMs: options.childStatusSettleMs ?? 100,
    };
    this.queue = new WorkQueue(
      key => this.handle(key),
      options.queue ?? DEFAULT_QUEUE_OPTIONS,
      (key, error, attempt) =>
        log.warn("reconcile failed; retrying", { key, attempt, error: (error as Error).message }),
    );
  }

  /**
   * Creates the ext_proc server's namespace, learns which routes have configuration there, and
   * lists the AI Gateway kinds into the state. Call once; with a queue that starts paused, call
   * `queue.resume()` once the reference watches have listed too, so no route is reconciled against a
   * half-known cluster (which would write its configuration without backends and flap its status
   * after every restart).
   */
  async start(): Promise<void> {
    const { extProcNamespace, configSecretPrefix } = this.settings;
    await this.client.ensureNamespace(extProcNamespace);
    for (const key of await this.client.configuredRoutes(extProcNamespace, configSecretPrefix))
      this.configured.add(key);
    const [routes, backends, policies] = await Promise.all([
      this.client.listAll<AIGatewayRoute>("AIGatewayRoute"),
      this.client.listAll<AIServiceBackend>("AIServiceBackend"),
      this.client.listAll<BackendSecurityPolicy>("BackendSecurityPolicy"),
    ]);
    routes.forEach(route => this.onRoute(route, "ADDED"));
    backends.forEach(backend => this.onBackend(backend, "ADDED"));
    policies.forEach(policy => this.onPolicy(policy, "ADDED"));
  }

  // --- watch events -------------------------------------------------------------------------

  onRoute(route: AIGatewayRoute, phase: Phase): void {
    if (!isStored(route)) return;
    dropUnreadFields(route);
    const key = keyOf(route);
    if (phase === "DELETED") {
      this.state.removeRoute(key);
      this.announced.delete(`AIGatewayRoute/${key}`);
      this.waitingSince.delete(key);
      this.gone.add(key);
    } else {
      this.gone.delete(key);
      const previous = this.state.routes.get(key);
      this.state.setRoute(route);
      // Our own status writes come back as MODIFIED events; only a new generation is new work.
      if (!generationChanged(previous, route)) return;
    }
    this.queue.add(`route:${key}`);
  }

  onBackend(backend: AIServiceBackend, phase: Phase): void {
    dropUnreadFields(backend);
    const key = keyOf(backend);
    const previous = this.state.backends.get(key);
    if (phase === "DELETED") {
      this.state.backends.delete(key);
      this.announced.delete(`AIServiceBackend/${key}`);
    } else this.state.backends.set(key, backend);
    if (phase !== "DELETED" && !generationChanged(previous, backend)) return;
    this.queue.add(`backend:${key}`);
  }

  onPolicy(policy: BackendSecurityPolicy, phase: Phase): void {
    dropUnreadFields(policy);
    const key = keyOf(policy);
    const previous = this.state.policies.get(key);
    if (phase === "DELETED") {
      this.state.policies.delete(key);
      this.announced.delete(`BackendSecurityPolicy/${key}`);
      this.requeueRoutesOfBackends(previous ? this.state.backendsTargetedBy(previous) : []);
      return;
    }
    this.state.policies.set(key, policy);
    if (!generationChanged(previous, policy)) return;
    // A policy that stops targeting a backend changes that backend's routes too.
    const targets = new Set([
      ...(previous ? this.state.backendsTargetedBy(previous) : []),
      ...this.state.backendsTargetedBy(policy),
    ]);
    this.requeueRoutesOfBackends([...targets]);
    this.queue.add(`policy:${key}`);
  }

  onSecret(secret: SecretObject, phase: Phase): void {
    dropUnreadFields(secret);
    if (secret.metadata?.labels?.[CONFIG_LABEL]) return;
    const key = keyOf(secret);
    if (phase === "DELETED") this.state.secrets.delete(key);
    else this.state.secrets.set(key, secret);
    for (const policyKey of this.state.policiesUsingSecret(
      secret.metadata?.namespace ?? "",
      secret.metadata?.name ?? "",
    )) {
      this.queue.add(`policy:${policyKey}`);
      const policy = this.state.policies.get(policyKey);
      if (policy) this.requeueRoutesOfBackends(this.state.backendsTargetedBy(policy));
    }
  }

  onGatewayBackend(backend: GatewayBackendObject, phase: Phase): void {
    dropUnreadFields(backend, { generated: isManagedChild(backend) });
    const key = keyOf(backend);
    const previous = this.state.gatewayBackends.get(key);
    if (phase === "DELETED") this.state.gatewayBackends.delete(key);
    else this.state.gatewayBackends.set(key, backend);
    if (isManagedChild(backend)) {
      this.onChildChange("Backend", backend, previous, phase);
      return;
    }
    for (const backendKey of this.state.backendsUsingGatewayBackend(
      backend.metadata?.namespace ?? "",
      backend.metadata?.name ?? "",
    )) {
      this.queue.add(`backend:${backendKey}`);
      this.requeueRoutesOfBackends([backendKey]);
    }
  }

  onHttpRoute(route: HTTPRouteObject, phase: Phase): void {
    dropUnreadFields(route, { generated: true });
    const key = keyOf(route);
    const previous = this.state.httpRoutes.get(key);
    if (phase === "DELETED") this.state.httpRoutes.delete(key);
    else this.state.httpRoutes.set(key, route);
    this.onChildChange("HTTPRoute", route, previous, phase);
  }

  onExtensionPolicy(policy: EnvoyExtensionPolicyObject, phase: Phase): void {
    dropUnreadFields(policy, { generated: true });
    const key = keyOf(policy);
    const previous = this.state.extensionPolicies.get(key);
    if (phase === "DELETED") this.state.extensionPolicies.delete(key);
    else this.state.extensionPolicies.set(key, policy);
    this.onChildChange("EnvoyExtensionPolicy", policy, previous, phase);
  }

  onHttpRouteFilter(filter: HTTPRouteFilterObject, phase: Phase): void {
    dropUnreadFields(filter, { generated: true });
    // Filters carry no status the controller reads: only their existence matters.
    this.onChildChange("HTTPRouteFilter", filter, undefined, phase);
  }

  /**
   * Re-queues every object: the safety net for watch events that were never delivered. A
   * configuration Secret whose route is gone (deleted while the controller was down) is removed
   * once two resyncs in a row found it so: never on the first, which may come before the route
   * watch has listed everything.
   */
  resync(): void {
    for (const key of this.state.routes.keys()) this.queue.add(`route:${key}`);
    for (const key of this.state.backends.keys()) this.queue.add(`backend:${key}`);
    for (const key of this.state.policies.keys()) this.queue.add(`policy:${key}`);
    for (const key of this.configured) {
      if (this.state.routes.has(key)) {
        this.orphans.delete(key);
        continue;
      }
      const seen = (this.orphans.get(key) ?? 0) + 1;
      this.orphans.set(key, seen);
      if (seen < 2) continue;
      this.gone.add(key);
      this.queue.add(`route:${key}`);
    }
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
    this.state.trackChild(kind, child, phase !== "DELETED");
    const routeKey = ownerRouteKey(child);
    if (!routeKey) return;
    const appliedKey = `${kind}/${keyOf(child)}`;
    if (phase === "DELETED") {
      this.applied.delete(appliedKey);
      this.queue.add(`route:${routeKey}`);
      return;
    }
    if (!previous && !this.applied.has(appliedKey)) {
      this.queue.add(`route:${routeKey}`);
    } else if (JSON.stringify(previous?.status) !== JSON.stringify(child.status)) {
      // Envoy Gateway writes the status of a route's objects in quick succession: read them once.
      this.queue.addAfter(`route:${routeKey}`, this.timing.childStatusSettleMs);
    }
  }

  private requeueRoutesOfBackends(backendKeys: string[]): void {
    for (const backendKey of backendKeys) {
      for (const routeKey of this.state.routesUsing(backendKey))
        this.queue.add(`route:${routeKey}`);
    }
  }

  // --- reconcile ----------------------------------------------------------------------------

  private async handle(item: string): Promise<void> {
    const [kind, key] = [item.slice(0, item.indexOf(":")), item.slice(item.indexOf(":") + 1)];
    if (kind === "route") await this.reconcileRoute(key);
    else if (kind === "backend") await this.reconcileBackend(key);
    else if (kind === "policy") await this.reconcilePolicy(key);
  }

  async reconcileRoute(key: string): Promise<void> {
    const [namespace, name] = key.split("/");
    const route = this.state.routes.get(key);
    if (!route) {
      // The children go with their owner; the configuration lives elsewhere and must be removed.
      if (!this.gone.has(key)) return;
      const { configSecretPrefix, extProcNamespace } = this.settings;
      const secretName = configSecretName(configSecretPrefix, namespace, name);
      if (this.configured.has(key))
        await this.client.deleteChild("Secret", extProcNamespace, secretName);
      this.applied.delete(`Secret/${extProcNamespace}/${secretName}`);
      this.configured.delete(key);
      this.orphans.delete(key);
      this.gone.delete(key);
      return;
    }
    const inputs = resolveRoute(this.state, route);
    const children: GeneratedObject[] = buildRouteChildren(inputs, this.settings);
    try {
      for (const child of children) await this.applyOnce(child);
    } catch (error) {
      // The namespace is being deleted, the route with it: nothing left to wire.
      if (isNamespaceTerminating(error)) return;
      throw error;
    }
    await this.pruneChildren(route, children);

    const document = buildRouteConfig(inputs);
    await this.applyOnce(buildConfigSecret(document, this.settings));
    this.configured.add(key);

    const verdict = routeVerdict(inputs, {
      httpRoute: this.state.httpRoutes.get(key)?.status,
      extensionPolicy: this.state.extensionPolicies.get(
        `${namespace}/${extensionPolicyName(route)}`,
      )?.status,
      extProcBackend: this.state.gatewayBackends.get(`${namespace}/${extProcBackendName(route)}`)
        ?.status,
    });
    const told = route.status?.conditions?.find(c => c.type === ACCEPTED)?.reason;
    // A route that already says it waits has nothing to hold back.
    if (
      verdict.reason === WAITING_FOR_ENVOY_GATEWAY &&
      told !== WAITING_FOR_ENVOY_GATEWAY &&
      this.stillInGrace(key)
    )
      return;
    this.waitingSince.delete(key);
    await this.writeStatus("AIGatewayRoute", route, verdict);
  }

  /**
   * Whether a route that only waits for Envoy Gateway's report may wait a little longer before
   * saying so; if it may, it is reconciled again when the grace ends.
   */
  private stillInGrace(key: string): boolean {
    const now = this.now().getTime();
    const since = this.waitingSince.get(key) ?? now;
    const left = since + this.timing.waitingGraceMs - now;
    if (left <= 0) return false;
    this.waitingSince.set(key, since);
    this.queue.addAfter(`route:${key}`, left);
    return true;
  }

  async reconcileBackend(key: string): Promise<void> {
    const backend = this.state.backends.get(key);
    this.requeueRoutesOfBackends([key]);
    if (!backend) return;
    const [namespace, name] = key.split("/");
    await this.writeStatus(
      "AIServiceBackend",
      backend,
      backendVerdict(gatewayBackendProblem(this.state, namespace, name, backend.spec)),
    );
  }

  async reconcilePolicy(key: string): Promise<void> {
    const policy = this.state.policies.get(key);
    if (!policy) return;
    const resolved = resolveCredentials(this.state, policy.metadata?.namespace ?? "", policy.spec);
    await this.writeStatus(
      "BackendSecurityPolicy",
      policy,
      policyVerdict("problem" in resolved ? resolved.problem : undefined),
    );
  }

  private async applyOnce(child: GeneratedObject): Promise<void> {
    const cacheKey = `${child.kind}/${child.metadata.namespace}/${child.metadata.name}`;
    const json = digestOf(JSON.stringify(child));
    if (this.applied.get(cacheKey) === json) return;
    await this.client.apply(child);
    this.applied.set(cacheKey, json);
  }

  /**
   * Deletes the route's children (as the watches report them) that the current spec no longer
   * produces. A child the watches have not reported yet is pruned when its first event re-queues
   * the route, so this never needs to LIST.
   */
  private async pruneChildren(route: RouteObject, wanted: GeneratedObject[]): Promise<void> {
    const { namespace, name } = route.metadata;
    const wantedNames = new Set(wanted.map(child => `${child.kind}/${child.metadata.name}`));
    for (const child of this.state.childrenOf(namespace, labelValue(name))) {
      if (wantedNames.has(`${child.kind}/${child.name}`)) continue;
      await this.client.deleteChild(child.kind, namespace, child.name);
      this.applied.delete(`${child.kind}/${namespace}/${child.name}`);
    }
  }

  /** Writes status only when it changes, and an event when Accepted flips. */
  private async writeStatus(
    kind: ParentKind,
    object: StatusHolder,
    verdict: Verdict,
  ): Promise<void> {
    const { name = "", namespace = "", uid = "", generation = 0 } = object.metadata ?? {};
    const next = statusFor(object.status, verdict, generation, this.now().toISOString());
    if (sameStatus(object.status, next)) return;
    const before = object.status?.conditions?.find(c => c.type === ACCEPTED);
    await this.client.patchStatus(kind, namespace, name, next);
    // Later reconciles in this process see what was written, before the watch echoes it.
    object.status = next;
    // An event says when Accepted flips. A new route waits for Envoy Gateway for a moment, which is
    // not news: the first event it gets is about where it ends up.
    const eventKey = `${kind}/${namespace}/${name}`;
    const told = this.announced.has(eventKey) ? this.announced.get(eventKey) : toldBy(before);
    const telling = toldBy(next.conditions!.find(c => c.type === ACCEPTED)) ?? told;
    if (telling === told) return;
    this.announced.set(eventKey, telling);
    // An object that simply comes up Accepted is what was asked for: problems and recoveries are news.
    if (told === undefined && telling === "True") return;
    log.info(verdict.accepted ? "accepted" : "not accepted", {
      kind,
      namespace,
      name,
      reason: verdict.reason,
    });
    await this.client
      .recordEvent({
        kind,
        namespace,
        name,
        uid,
        type: verdict.accepted ? "Normal" : "Warning",
        reason: verdict.reason,
        message: verdict.message,
      })
      .catch(error =>
        log.warn("could not record event", {
          kind,
          namespace,
          name,
          error: (error as Error).message,
        }),
      );
  }
}
