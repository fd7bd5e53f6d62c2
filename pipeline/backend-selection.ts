/**
 * The order in which a rule's backends are tried for one request: lowest `priority` first; within a
 * priority, a weighted random order; backends in their failure cool-down after all the others
 * (tried only when everything else failed too). A backend of weight 0 takes no traffic.
 */
import type { BackendConfig } from "../contract/route-config";
import type { BackendHealth } from "./backend-health";

/** A weighted random order of `backends` (all of weight > 0): each pick is weight-proportional. */
function weightedOrder(backends: BackendConfig[], random: () => number): BackendConfig[] {
  const left = [...backends];
  const order: BackendConfig[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, backend) => sum + backend.weight, 0);
    let point = random() * total;
    let index = left.findIndex(backend => (point -= backend.weight) < 0);
    if (index < 0) index = left.length - 1;
    order.push(...left.splice(index, 1));
  }
  return order;
}

export function orderBackends(
  backends: readonly BackendConfig[],
  health: BackendHealth,
  random: () => number = Math.random,
): BackendConfig[] {
  const priorities = [...new Set(backends.map(backend => backend.priority))].sort((a, b) => a - b);
  const ordered = priorities.flatMap(priority =>
    weightedOrder(
      backends.filter(backend => backend.priority === priority && backend.weight > 0),
      random,
    ),
  );
  const cooling = ordered.filter(backend => health.isCoolingDown(backend.id));
  return [...ordered.filter(backend => !cooling.includes(backend)), ...cooling];
}
