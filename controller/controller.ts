/**
 * The controller of the three AI Gateway kinds, composed of its parts: watch events (`events`)
 * update the `ClusterState` and put keys on the work queue; a worker runs the key's reconcile,
 * which resolves references from the state, applies the pure builders' output, writes the route's
 * ext_proc configuration, and sets status.
 */
import { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } from "../api/v1alpha1";
import { componentLogger } from "../lib/logger";
import { AppliedObjects } from "./applied-objects";
import type { ClusterClient } from "./cluster-client";
import { ClusterState } from "./cluster-state";
import { ConfigSecrets } from "./config-secrets";
import { BackendReconciler } from "./reconcile-backend";
import { PolicyReconciler } from "./reconcile-policy";
import { RouteReconciler } from "./reconcile-route";
import type { ControllerSettings } from "./settings";
import { SecretCache } from "./secret-cache";
import { StatusWriter } from "./status-writer";
import { WaitingGrace } from "./waiting-grace";
import { WatchEvents } from "./watch-events";
import { QueueOptions, WorkQueue } from "./work-queue";
import { errorMessage } from "../lib/error-message";

export type { Phase } from "./watch-events";

const log = componentLogger("reconcilers");

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  concurrency: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

export interface ControllerOptions {
  queue?: QueueOptions;
  /** The clock of every time the controller reads or writes. Default: the system clock. */
  now?: () => Date;
  /**
   * How long a route's status may stay unwritten while only Envoy Gateway's report is missing (it
   * usually comes within moments): a new route then gets one status write, not two. Default 2 s.
   */
  waitingGraceMs?: number;
  /** How long to wait after Envoy Gateway changes a child's status before reading it. Default 100 ms. */
  childStatusSettleMs?: number;
}

export class Controller {
  readonly state: ClusterState;
  readonly queue: WorkQueue;
  /** The watch-event handlers: feed each every event of its kind. */
  readonly events: WatchEvents;
  private readonly configSecrets: ConfigSecrets;
  private readonly routes: RouteReconciler;
  private readonly backends: BackendReconciler;
  private readonly policies: PolicyReconciler;

  constructor(
    private readonly client: ClusterClient,
    private readonly settings: ControllerSettings,
    options: ControllerOptions = {},
  ) {
    const now = options.now ?? (() => new Date());
    this.state = new ClusterState(
      new SecretCache((namespace, name) => client.readSecret(namespace, name)),
    );
    this.queue = new WorkQueue(
      item => this.handle(item),
      options.queue ?? DEFAULT_QUEUE_OPTIONS,
      (key, error, attempt) =>
        log.warn("reconcile failed; retrying", { key, attempt, error: errorMessage(error) }),
    );
    const { state, queue } = this;
    const applied = new AppliedObjects(client);
    const statuses = new StatusWriter(client, now);
    const grace = new WaitingGrace(queue, now, options.waitingGraceMs ?? 2_000);
    const configSecrets = new ConfigSecrets(client, settings, applied, state, queue);
    this.configSecrets = configSecrets;
    this.events = new WatchEvents({
      state,
      queue,
      applied,
      configSecrets,
      statuses,
      grace,
      childStatusSettleMs: options.childStatusSettleMs ?? 100,
    });
    this.routes = new RouteReconciler({
      client,
      settings,
      state,
      applied,
      configSecrets,
      statuses,
      grace,
    });
    this.backends = new BackendReconciler(state, queue, statuses);
    this.policies = new PolicyReconciler(state, statuses);
  }

  /**
   * Creates the ext_proc server's namespace, learns which routes have configuration there, and
   * lists the AI Gateway kinds into the state. Call once; with a queue that starts paused, call
   * `queue.resume()` once the reference watches have listed too, so no route is reconciled against a
   * half-known cluster (which would write its configuration without backends and flap its status
   * after every restart).
   */
  async start(): Promise<void> {
    await this.client.ensureNamespace(this.settings.extProcNamespace);
    await this.configSecrets.load();
    const [routes, backends, policies] = await Promise.all([
      this.client.listAll<AIGatewayRoute>("AIGatewayRoute"),
      this.client.listAll<AIServiceBackend>("AIServiceBackend"),
      this.client.listAll<BackendSecurityPolicy>("BackendSecurityPolicy"),
    ]);
    routes.forEach(route => this.events.onRoute(route, "ADDED"));
    backends.forEach(backend => this.events.onBackend(backend, "ADDED"));
    policies.forEach(policy => this.events.onPolicy(policy, "ADDED"));
  }

  /**
   * Re-queues every object and reads the policies' Secrets again: the safety net for watch events
   * that were never delivered. A
   * configuration Secret whose route is gone (deleted while the controller was down) is removed
   * once two resyncs in a row found it so: never on the first, which may come before the route
   * watch has listed everything.
   */
  resync(): void {
    // Secrets are read again too: a lost watch event must not keep a rotated key out for long.
    this.state.secrets.clear();
    for (const key of this.state.routes.keys()) this.queue.add(`route:${key}`);
    for (const key of this.state.backends.keys()) this.queue.add(`backend:${key}`);
    for (const key of this.state.policies.keys()) this.queue.add(`policy:${key}`);
    this.configSecrets.queueOrphans();
  }

  /** Runs the reconcile of a queued `kind:namespace/name`. */
  private async handle(item: string): Promise<void> {
    const [kind, key] = [item.slice(0, item.indexOf(":")), item.slice(item.indexOf(":") + 1)];
    if (kind === "route") await this.routes.reconcile(key);
    else if (kind === "backend") await this.backends.reconcile(key);
    else if (kind === "policy") await this.policies.reconcile(key);
  }
}
