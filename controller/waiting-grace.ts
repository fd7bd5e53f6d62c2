/**
 * The grace period of a route that only waits for Envoy Gateway's report, which usually comes within
 * moments: its status is not written before the grace ends, so a new route gets one status write,
 * not two.
 */
import type { WorkQueue } from "./work-queue";

export class WaitingGrace {
  /** When each route was first found waiting for Envoy Gateway, while that is not yet written. */
  private readonly waitingSince = new Map<string, number>();

  constructor(
    private readonly queue: WorkQueue,
    private readonly now: () => Date,
    private readonly graceMs: number,
  ) {}

  /**
   * Whether a route that only waits for Envoy Gateway's report may wait a little longer before
   * saying so; if it may, it is reconciled again when the grace ends.
   */
  stillInGrace(key: string): boolean {
    const now = this.now().getTime();
    const since = this.waitingSince.get(key) ?? now;
    const left = since + this.graceMs - now;
    if (left <= 0) return false;
    this.waitingSince.set(key, since);
    this.queue.addAfter(`route:${key}`, left);
    return true;
  }

  /** Ends the route's grace: its status was written, or the route is gone. */
  end(key: string): void {
    this.waitingSince.delete(key);
  }
}
