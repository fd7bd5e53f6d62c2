/** Status writes of the AI Gateway kinds, and the events that tell users when Accepted flips. */
import type { ObjectMeta, Status } from "../api/v1alpha1";
import { ACCEPTED, sameStatus, statusFor, Verdict } from "../status/conditions";
import { WAITING_FOR_ENVOY_GATEWAY } from "../status/envoy-gateway-status";
import { componentLogger } from "../lib/logger";
import type { ClusterClient, ParentKind } from "./cluster-client";
import { errorMessage } from "../lib/error-message";

const log = componentLogger("reconcilers");

/** An object whose status the controller writes. */
export interface StatusHolder {
  metadata?: ObjectMeta;
  status?: Status;
}

/** The Accepted status a condition tells users; waiting for Envoy Gateway tells nothing new. */
const toldBy = (condition: { status: string; reason: string } | undefined) =>
  condition && condition.reason !== WAITING_FOR_ENVOY_GATEWAY ? condition.status : undefined;

export class StatusWriter {
  /** The Accepted status the last event told about each object (`Kind/namespace/name`). */
  private readonly announced = new Map<string, string | undefined>();

  constructor(
    private readonly client: ClusterClient,
    private readonly now: () => Date,
  ) {}

  /**
   * Writes status only when it changes, and an event when Accepted flips. The written status is
   * also set on `object`, the one the state holds.
   */
  async write(kind: ParentKind, object: StatusHolder, verdict: Verdict): Promise<void> {
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
          error: errorMessage(error),
        }),
      );
  }

  /** Forgets what was told about a deleted object (`key` is `namespace/name`). */
  forget(kind: ParentKind, key: string): void {
    this.announced.delete(`${kind}/${key}`);
  }
}
