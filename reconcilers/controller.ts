/**
 * The reconcile logic of the three kinds: watch events update the `ClusterState` and put keys on
 * the work queue; a worker resolves references from the state, applies the pure builders' output,
 * writes the route's ext_proc configuration, and sets status. Apply order never matters: every
 * change to a referenced object re-queues the objects that refer to it.
 */
import type { Status } from "../api/v1alpha1";
import type { AIGatewayRoute } from "../capabilities/kinds";
import type {
  AIServiceBackendObject,
  BackendSecurityPolicyObject,
  GatewayBackendObject,
  SecretObject,
} from "../controllers/cluster-view";
import { statusFor, sameStatus, Verdict, ACCEPTED } from "../controllers/conditions";
import { resolveCredentials } from "../controllers/credentials";
import {
  buildExtensionPolicy,
  buildExtProcBackend,
  extensionPolicyName,
  extProcBackendName,
} from "../controllers/extension-policy";
import {
  buildHostRewriteFilter,
  buildHttpRoute,
  buildNotFoundFilter,
} from "../controllers/http-route";
import {
  CONFIG_LABEL,
  labelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  ROUTE_LABEL,
} from "../controllers/metadata";
import { gatewayBackendProblem, resolveRoute } from "../controllers/resolve";
import type { RouteObject } from "../controllers/resolved";
import { buildRouteConfig } from "../controllers/route-config";
import type { ControllerSettings } from "../controllers/settings";
import { backendVerdict, policyVerdict, routeVerdict } from "../controllers/verdicts";
import { CONFIG_VERSION, routeDataKey, shardOf, shardSecretName } from "../extproc/config";
import { componentLogger } from "../lib/logger";
import type { ChildKind, ClusterClient, GeneratedObject, ParentKind } from "./cluster-client";
import { ChildObject, ClusterState, keyOf } from "./cluster-state";
import { QueueOptions, WorkQueue } from "./work-queue";

const log = componentLogger("reconcilers");

export type Phase = "ADDED" | "MODIFIED" | "DELETED";

const CHILD_KINDS: ChildKind[] = [
  "HTTPRoute",
  "HTTPRouteFilter",
  "Backend",
  "EnvoyExtensionPolicy",
];

interface StatusHolder {
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number };
  status?: Status;
}

const isManagedChild = (object: { metadata?: { labels?: Record<string, string> } }) =>
  object.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
  !!object.metadata?.labels?.[ROUTE_LABEL];

/** The AIGatewayRoute that controls a generated object. */
const ownerRouteKey = (object: {
  metadata?: { namespace?: string; ownerReferences?: Array<{ kind: string; name: string }> };
}) => {
  const owner = object.metadata?.ownerReferences?.find(ref => ref.kind === "AIGatewayRoute");
  return owner ? `${object.metadata?.namespace}/${owner.name}` : undefined;
};

const generationChanged = (previous: StatusHolder | undefined, next: StatusHolder) =>
  !previous || previous.metadata?.generation !== next.metadata?.generation;

export class Controller {
  readonly state = new ClusterState();
  readonly queue: WorkQueue;
  /** JSON of the last object applied per child, so an unchanged child is not applied again. */
  private readonly applied = new Map<string, string>();
  /** JSON of the configuration document last written per route. */
  private readonly written = new Map<string, string>();
  /** The generation each route's children were last pruned at. */
  private readonly pruned = new Map<string, number>();

  constructor(
    private readonly client: ClusterClient,
    private readonly settings: ControllerSettings,
    queueOptions: QueueOptions = { concurrency: 8, baseDelayMs: 1000, maxDelayMs: 60_000 },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = new WorkQueue(
      key => this.handle(key),
      queueOptions,
      (key, error, attempt) =>
        log.warn("reconcile failed; retrying", { key, attempt, error: (error as Error).message }),
    );
  }

  /** Creates the configuration Secrets; call once before events arrive. */
  async start(): Promise<void> {
    const shards = Array.from({ length: this.settings.configShards }, (_, i) =>
      shardSecretName(this.settings.configSecretPrefix, i),
    );
    await this.client.ensureConfigStore(this.settings.extProcNamespace, {
      name: this.settings.configSecretPrefix,
      content: { version: CONFIG_VERSION, shards },
    });
  }

  // --- watch events -------------------------------------------------------------------------

  onRoute(route: AIGatewayRoute, phase: Phase): void {
    const key = keyOf(route);
    if (phase === "DELETED") {
      this.state.removeRoute(key);
    } else {
      const previous = this.state.routes.get(key);
      this.state.setRoute(route);
      // Our own status writes come back as MODIFIED events; only a new generation is new work.
      if (!generationChanged(previous, route)) return;
    }
    this.queue.add(`route:${key}`);
  }

  onBackend(backend: AIServiceBackendObject, phase: Phase): void {
    const key = keyOf(backend);
    const previous = this.state.backends.get(key);
    if (phase === "DELETED") this.state.backends.delete(key);
    else this.state.backends.set(key, backend);
    if (phase !== "DELETED" && !generationChanged(previous, backend)) return;
    this.queue.add(`backend:${key}`);
  }

  onPolicy(policy: BackendSecurityPolicyObject, phase: Phase): void {
    const key = keyOf(policy);
    const previous = this.state.policies.get(key);
    if (phase === "DELETED") {
      this.state.policies.delete(key);
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

  onSecret(
    secret: SecretObject & { metadata?: { labels?: Record<string, string> } },
    phase: Phase,
  ): void {
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

  onGatewayBackend(backend: GatewayBackendObject & ChildObject, phase: Phase): void {
    const key = keyOf(backend);
    const previous = this.state.gatewayBackends.get(key);
    if (phase === "DELETED") this.state.gatewayBackends.delete(key);
    else this.state.gatewayBackends.set(key, backend);
    if (isManagedChild(backend as never)) {
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

  onHttpRoute(route: ChildObject, phase: Phase): void {
    const key = keyOf(route);
    const previous = this.state.httpRoutes.get(key);
    if (phase === "DELETED") this.state.httpRoutes.delete(key);
    else this.state.httpRoutes.set(key, route);
    this.onChildChange("HTTPRoute", route, previous, phase);
  }

  onExtensionPolicy(policy: ChildObject, phase: Phase): void {
    const key = keyOf(policy);
    const previous = this.state.extensionPolicies.get(key);
    if (phase === "DELETED") this.state.extensionPolicies.delete(key);
    else this.state.extensionPolicies.set(key, policy);
    this.onChildChange("EnvoyExtensionPolicy", policy, previous, phase);
  }

  onHttpRouteFilter(filter: ChildObject, phase: Phase): void {
    this.onChildChange("HTTPRouteFilter", filter, undefined, phase);
  }

  /** Re-queues every object: the safety net for watch events that were never delivered. */
  resync(): void {
    for (const key of this.state.routes.keys()) this.queue.add(`route:${key}`);
    for (const key of this.state.backends.keys()) this.queue.add(`backend:${key}`);
    for (const key of this.state.policies.keys()) this.queue.add(`policy:${key}`);
  }

  /** A generated object changed: its route re-reads Envoy Gateway's status, or re-creates it. */
  private onChildChange(
    kind: ChildKind,
    child: ChildObject,
    previous: ChildObject | undefined,
    phase: Phase,
  ): void {
    const routeKey = ownerRouteKey(child as never);
    if (!routeKey) return;
    if (phase === "DELETED") {
      this.applied.delete(`${kind}/${keyOf(child)}`);
      this.queue.add(`route:${routeKey}`);
      return;
    }
    if (JSON.stringify(previous?.status) !== JSON.stringify(child.status))
      this.queue.add(`route:${routeKey}`);
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
    const shard = shardSecretName(
      this.settings.configSecretPrefix,
      shardOf(namespace, name, this.settings.configShards),
    );
    const route = this.state.routes.get(key);
    if (!route) {
      // The children go with their owner; the configuration entry lives elsewhere and must be removed.
      await this.client.setConfigEntry(
        this.settings.extProcNamespace,
        shard,
        routeDataKey(namespace, name),
        undefined,
      );
      this.written.delete(key);
      this.pruned.delete(key);
      return;
    }
    const routeObject = route as unknown as RouteObject;
    const inputs = resolveRoute(this.state, routeObject);
    const children: GeneratedObject[] = [
      buildHostRewriteFilter(routeObject),
      buildNotFoundFilter(routeObject),
      buildExtProcBackend(routeObject, this.settings),
      buildHttpRoute(inputs),
      buildExtensionPolicy(routeObject, this.settings),
    ];
    for (const child of children) await this.applyOnce(child);
    await this.pruneChildren(routeObject, children);

    const document = JSON.stringify(buildRouteConfig(inputs));
    if (this.written.get(key) !== document) {
      await this.client.setConfigEntry(
        this.settings.extProcNamespace,
        shard,
        routeDataKey(namespace, name),
        document,
      );
      this.written.set(key, document);
    }

    const verdict = routeVerdict(inputs, {
      httpRoute: this.state.httpRoutes.get(key)?.status as never,
      extensionPolicy: this.state.extensionPolicies.get(
        `${namespace}/${extensionPolicyName(routeObject)}`,
      )?.status as never,
      extProcBackend: this.state.gatewayBackends.get(
        `${namespace}/${extProcBackendName(routeObject)}`,
      )?.status as never,
    });
    await this.writeStatus("AIGatewayRoute", route, verdict);
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
    const json = JSON.stringify(child);
    if (this.applied.get(cacheKey) === json) return;
    await this.client.apply(child);
    this.applied.set(cacheKey, json);
  }

  /** Deletes children of the route that the current spec no longer produces (once per generation). */
  private async pruneChildren(route: RouteObject, wanted: GeneratedObject[]): Promise<void> {
    const key = `${route.metadata.namespace}/${route.metadata.name}`;
    const generation = route.metadata.generation ?? 0;
    if (this.pruned.get(key) === generation) return;
    const wantedNames = new Set(wanted.map(child => `${child.kind}/${child.metadata.name}`));
    for (const kind of CHILD_KINDS) {
      for (const name of await this.client.childrenOf(
        kind,
        route.metadata.namespace,
        labelValue(route.metadata.name),
      )) {
        if (wantedNames.has(`${kind}/${name}`)) continue;
        await this.client.deleteChild(kind, route.metadata.namespace, name);
        this.applied.delete(`${kind}/${route.metadata.namespace}/${name}`);
      }
    }
    this.pruned.set(key, generation);
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
    const after = next.conditions!.find(c => c.type === ACCEPTED)!;
    if (before?.status === after.status) return;
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
