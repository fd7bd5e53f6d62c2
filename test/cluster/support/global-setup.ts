/**
 * Brings the local control plane up for the cluster suite, or reuses one: a running test cluster
 * from `npm run cluster:up`, or any cluster in KUBECONFIG when AIGW_USE_EXISTING_CLUSTER=1 (kind,
 * k3d: the module must already be running against it, e.g. with `npm run dev`).
 */
import { isHealthy, readState, up } from "../harness/cluster";
import { KUBECONFIG } from "../harness/paths";

export default async function globalSetup(): Promise<void> {
  process.env.AIGW_CLUSTER_SUITE_STARTED_AT = String(Date.now());
  if (process.env.AIGW_USE_EXISTING_CLUSTER === "1") {
    if (!process.env.KUBECONFIG)
      throw new Error("AIGW_USE_EXISTING_CLUSTER=1 needs KUBECONFIG to point at the cluster");
    process.env.AIGW_KUBECTL = process.env.AIGW_KUBECTL ?? "kubectl";
    return;
  }
  const reused = await isHealthy(readState());
  const state = await up();
  process.env.KUBECONFIG = KUBECONFIG;
  process.env.AIGW_KUBECTL = state.kubectl;
  // Stop what this run started; leave a cluster someone started by hand running.
  process.env.AIGW_STOP_CLUSTER_AFTER = reused ? "0" : "1";
}
