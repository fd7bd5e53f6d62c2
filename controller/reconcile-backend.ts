/** The AIServiceBackend reconcile: its routes again, and its status from its Envoy Gateway Backend. */
import { gatewayBackendProblem } from "../resolve/route";
import { backendVerdict } from "../status/verdicts";
import type { ClusterState } from "./cluster-state";
import { requeueRoutesOfBackends } from "./requeue-routes";
import type { StatusWriter } from "./status-writer";
import type { WorkQueue } from "./work-queue";

export class BackendReconciler {
  constructor(
    private readonly state: ClusterState,
    private readonly queue: WorkQueue,
    private readonly statuses: StatusWriter,
  ) {}

  /** Reconciles the AIServiceBackend `key` (`namespace/name`), deleted or not. */
  async reconcile(key: string): Promise<void> {
    const backend = this.state.backends.get(key);
    requeueRoutesOfBackends(this.state, this.queue, [key]);
    if (!backend) return;
    const [namespace, name] = key.split("/");
    await this.statuses.write(
      "AIServiceBackend",
      backend,
      backendVerdict(gatewayBackendProblem(this.state, namespace, name, backend.spec)),
    );
  }
}
