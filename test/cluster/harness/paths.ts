/** Where the local control plane keeps its binaries and its running state (an ignored folder). */
import { join, resolve } from "node:path";

export const PROJECT_ROOT = resolve(__dirname, "../../..");
export const WORK_DIR = join(PROJECT_ROOT, ".testcluster");
export const RUN_DIR = join(WORK_DIR, "run");
export const STATE_FILE = join(RUN_DIR, "state.json");
export const KUBECONFIG = join(RUN_DIR, "kubeconfig");

export const KUBERNETES_VERSION = "1.36.3";
export const ETCD_VERSION = "3.6.16";

export const binDir = (component: string, version: string) =>
  join(WORK_DIR, "bin", `${component}-v${version}`);

/** The third-party CRDs (Gateway API, Envoy Gateway) installed into the test cluster. */
export const THIRD_PARTY_CRDS =
  process.env.AIGW_THIRD_PARTY_CRDS ?? resolve(PROJECT_ROOT, "../shared/third-party-crds");
