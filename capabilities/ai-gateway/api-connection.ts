/** The module's one pool of API server connections, shared by admission lookups and the controller. */
import { connectOnFirstUse } from "../../lib/kube-api";

export const kubeApi = connectOnFirstUse();
