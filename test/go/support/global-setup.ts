/**
 * Builds egctl once, before the test files run in parallel: a cold build takes longer than a test
 * may (about 12 minutes on 2 cores), and two files building it at once would each compile it.
 */
import { ensureEgctl } from "../../cluster/harness/envoy-gateway-binaries";

export default function globalSetup(): void {
  ensureEgctl("test:go (the Envoy Gateway translation tests)");
}
