/**
 * What the cluster's Secrets cost the module, on the local control plane: its RSS before and after
 * 10,000 Secrets that no policy names are created (it watches Secrets by their metadata only and
 * reads just the ones policies name), and how long a Secret created after the policy that names it
 * takes to be picked up (the policy's status turning Accepted), over several rounds.
 *
 *   npm run bench:secrets
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { RESOURCE_TYPES } from "../api/resource-types";
import { KubeApi } from "../lib/kube-api";
import { down, up } from "../test/cluster/harness/cluster";
import { KUBECONFIG } from "../test/cluster/harness/paths";
import { quantile } from "./support/measure";
import { inParallel, memoryOf, modulePid } from "./support/processes";
import { markdownTable } from "./support/table";

const UNRELATED = 10_000;
const SECRET_BYTES = 1024;
const ROUNDS = 10;
const TARGETS = { rssGrowthMB: 20, pickupP99Ms: 1000 };

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The module's RSS once it has been quiet for a while: garbage collected, watch events handled. */
async function settledRssMB(): Promise<number> {
  await sleep(5_000);
  return memoryOf(modulePid()).rssMB;
}

async function main(): Promise<void> {
  await down();
  await up();
  process.env.KUBECONFIG = KUBECONFIG;
  const api = await KubeApi.fromDefaultConfig(32);
  const namespace = `bench-secrets-${randomBytes(3).toString("hex")}`;
  const create = (type: "Secret" | "BackendSecurityPolicy", body: object) =>
    api.call("POST", { ...RESOURCE_TYPES[type], namespace }, { body });
  await api.call("POST", RESOURCE_TYPES.Namespace, {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  });

  const before = await settledRssMB();
  const payload = randomBytes(SECRET_BYTES).toString("base64").slice(0, SECRET_BYTES);
  const started = performance.now();
  await inParallel(UNRELATED, 32, i =>
    create("Secret", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `unrelated-${i}`, namespace },
      stringData: { token: payload },
    }),
  );
  const createSeconds = (performance.now() - started) / 1000;
  const after = await settledRssMB();

  const pickups: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const policy = `policy-${round}`;
    const secret = `key-${round}`;
    await create("BackendSecurityPolicy", {
      apiVersion: "aigateway.envoyproxy.io/v1alpha1",
      kind: "BackendSecurityPolicy",
      metadata: { name: policy, namespace },
      spec: { type: "APIKey", apiKey: { secretRef: { name: secret } } },
    });
    await waitForReason(api, namespace, policy, "SecretNotFound");
    const created = performance.now();
    await create("Secret", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secret, namespace },
      stringData: { apiKey: `sk-${round}` },
    });
    await waitForReason(api, namespace, policy, "Accepted");
    pickups.push(performance.now() - created);
  }
  await api.call("DELETE", { ...RESOURCE_TYPES.Namespace, name: namespace });
  await api.close();
  await down();

  const growth = after - before;
  const miss = (ok: boolean) => (ok ? "" : " (misses the target)");
  process.stdout.write(
    `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; Node ${process.version}\n\n` +
      markdownTable(
        [{ header: "measure" }, { header: "value", align: "right" }, { header: "target" }],
        [
          ["module RSS before", `${before.toFixed(0)} MB`, ""],
          [
            `module RSS after ${UNRELATED.toLocaleString("en")} unrelated Secrets of ${SECRET_BYTES} bytes`,
            `${after.toFixed(0)} MB`,
            "",
          ],
          [
            "growth",
            `${growth.toFixed(1)} MB${miss(growth <= TARGETS.rssGrowthMB)}`,
            `≤ ${TARGETS.rssGrowthMB} MB`,
          ],
          [
            "the Secrets' data the module does not hold",
            `${((UNRELATED * SECRET_BYTES) / 1e6).toFixed(1)} MB`,
            "",
          ],
          ["creating them (API server)", `${createSeconds.toFixed(1)} s`, ""],
          [
            "a Secret created after its policy: picked up, p50",
            `${quantile(pickups, 0.5).toFixed(0)} ms`,
            "",
          ],
          [
            `… p99 (max of ${ROUNDS})`,
            `${quantile(pickups, 0.99).toFixed(0)} ms${miss(quantile(pickups, 0.99) <= TARGETS.pickupP99Ms)}`,
            `≤ ${TARGETS.pickupP99Ms} ms`,
          ],
        ],
      ) +
      "\n",
  );
}

/** Polls the policy's Accepted reason every 10 ms until it is `reason`. */
async function waitForReason(
  api: KubeApi,
  namespace: string,
  name: string,
  reason: string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const policy = await api.get<{
      status?: { conditions?: Array<{ type: string; reason?: string }> };
    }>({ ...RESOURCE_TYPES.BackendSecurityPolicy, namespace, name });
    if (policy?.status?.conditions?.find(c => c.type === "Accepted")?.reason === reason) return;
    await sleep(10);
  }
  throw new Error(`BackendSecurityPolicy ${namespace}/${name} never became ${reason}`);
}

main().catch(error => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
