/**
 * The lifecycle of the routes' configuration Secrets, which live in the ext_proc server's namespace
 * and so do not go with their route: which routes have one, and which must lose theirs.
 */
import { buildConfigSecret } from "../builders/route-config";
import { configSecretName, type RouteConfig } from "../contract/route-config";
import type { AppliedObjects } from "./applied-objects";
import type { ClusterClient } from "./cluster-client";
import type { ClusterState } from "./cluster-state";
import type { ControllerSettings } from "./settings";
import type { WorkQueue } from "./work-queue";

export class ConfigSecrets {
  /** The routes that have a configuration Secret (written, or found at start). */
  private readonly configured = new Set<string>();
  /** Routes with a configuration Secret but no AIGatewayRoute, by how many resyncs found them so. */
  private readonly orphans = new Map<string, number>();
  /**
   * Routes whose configuration goes: deleted, or orphaned. A route merely absent from the state may
   * not have been listed yet (a child's event can come first after a restart): its Secret stays.
   */
  private readonly gone = new Set<string>();

  constructor(
    private readonly client: ClusterClient,
    private readonly settings: ControllerSettings,
    private readonly applied: AppliedObjects,
    private readonly state: ClusterState,
    private readonly queue: WorkQueue,
  ) {}

  /** Learns which routes have a configuration Secret already. Call once, at start. */
  async load(): Promise<void> {
    const { extProcNamespace, configSecretPrefix } = this.settings;
    for (const key of await this.client.configuredRoutes(extProcNamespace, configSecretPrefix))
      this.configured.add(key);
  }

  /** The route `key` was deleted: its configuration goes when the route is next reconciled. */
  routeDeleted(key: string): void {
    this.gone.add(key);
  }

  /** The route `key` exists (again): its configuration stays. */
  routeExists(key: string): void {
    this.gone.delete(key);
  }

  /** Writes the configuration of the route `key` (applied only if it changed). */
  async write(key: string, document: RouteConfig): Promise<void> {
    await this.applied.apply(buildConfigSecret(document, this.settings));
    this.configured.add(key);
  }

  /** Deletes the configuration of the route `key` if the route is gone; else does nothing. */
  async removeIfGone(key: string): Promise<void> {
    if (!this.gone.has(key)) return;
    const [namespace, name] = key.split("/");
    const { configSecretPrefix, extProcNamespace } = this.settings;
    const secretName = configSecretName(configSecretPrefix, namespace, name);
    if (this.configured.has(key))
      await this.client.deleteChild("Secret", extProcNamespace, secretName);
    this.applied.forget("Secret", extProcNamespace, secretName);
    this.configured.delete(key);
    this.orphans.delete(key);
    this.gone.delete(key);
  }

  /**
   * Queues the routes whose configuration Secret has no AIGatewayRoute once two resyncs in a row
   * (two calls) found it so: never on the first, which may come before the route watch has listed
   * everything.
   */
  queueOrphans(): void {
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
}
