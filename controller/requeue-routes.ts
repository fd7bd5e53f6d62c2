import type { ClusterState } from "./cluster-state";
import type { WorkQueue } from "./work-queue";

/** Queues every route that uses one of the AIServiceBackends `backendKeys` (`namespace/name`). */
export function requeueRoutesOfBackends(
  state: ClusterState,
  queue: WorkQueue,
  backendKeys: string[],
): void {
  for (const backendKey of backendKeys) {
    for (const routeKey of state.routesUsing(backendKey)) queue.add(`route:${routeKey}`);
  }
}
