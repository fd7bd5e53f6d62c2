/** The BackendSecurityPolicy reconcile: its status from whether its credentials resolve. */
import { resolveCredentials } from "../resolve/credentials";
import { policyVerdict } from "../status/verdicts";
import type { ClusterState } from "./cluster-state";
import type { StatusWriter } from "./status-writer";

export class PolicyReconciler {
  constructor(
    private readonly state: ClusterState,
    private readonly statuses: StatusWriter,
  ) {}

  /** Reconciles the BackendSecurityPolicy `key` (`namespace/name`); a deleted one needs nothing. */
  async reconcile(key: string): Promise<void> {
    const policy = this.state.policies.get(key);
    if (!policy) return;
    await this.state.secrets.load(this.state.secretsOfPolicies([policy]));
    const resolved = resolveCredentials(this.state, policy.metadata?.namespace ?? "", policy.spec);
    await this.statuses.write(
      "BackendSecurityPolicy",
      policy,
      policyVerdict("problem" in resolved ? resolved.problem : undefined),
    );
  }
}
