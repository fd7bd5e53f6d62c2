/**
 * How fast the controller turns AIGatewayRoutes into wired, Accepted routes on a real API server:
 * the local control plane of the cluster tests (kube-apiserver, etcd, the module under `pepr dev`).
 *
 *   npm run bench:reconcile            (ROUTES=2000 RULES=10 SINGLES=50 by default)
 *
 * It starts a fresh local control plane (and stops it after); BENCH_REUSE_CLUSTER=1 reuses a
 * running one instead, and BENCH_KEEP_OBJECTS=1 leaves the routes in place to inspect.
 *
 * 1. Bulk: create ROUTES AIGatewayRoutes of RULES rules each, through the admission webhook, and time
 *    until every one is Accepted at its generation. Accepted implies the route's ext_proc config was
 *    delivered: the controller writes the configuration Secret before the status of the same
 *    reconcile, so the bench checks every route's Secret once at the end.
 * 2. One more: with those present, create SINGLES routes one at a time, each timed from its create
 *    call to Accepted (p50/p99).
 * 3. The module process's resident memory (now and peak).
 * The baseline, in the same run, is the API server's own floor: creating ROUTES ConfigMaps of the same
 * size with the same concurrency. The route times are printed as ratios of it too.
 *
 * Envoy Gateway is not running here: a stand-in in this process writes the status Envoy Gateway
 * writes on each generated HTTPRoute and EnvoyExtensionPolicy, as the cluster tests do.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { quantile } from "./support/measure";
import { cpuMeter, inParallel, memoryOf, modulePid } from "./support/processes";
import { isHealthy, readState, up, down } from "../test/cluster/harness/cluster";
import { KUBECONFIG } from "../test/cluster/harness/paths";
import { CONFIG_LABEL } from "../contract/route-config";
import { RESOURCE_TYPES, type ResourceKind } from "../api/resource-types";
import { DEFAULT_SETTINGS } from "../controller/settings";
import { CONFIG_ROUTE_ANNOTATION } from "../contract/route-config";
import { KubeApi, PATCH } from "../lib/kube-api";
import { markdownTable } from "./support/table";
import { errorMessage } from "../lib/error-message";

const ROUTES = Number(process.env.ROUTES ?? 2000);
const RULES = Number(process.env.RULES ?? 10);
const SINGLES = Number(process.env.SINGLES ?? 50);
const BACKENDS = 10;
const CONCURRENCY = 16;
const TIMEOUT_MS = 15 * 60_000;
const TARGETS = { bulkSeconds: 60, singleP99Ms: 1000, rssMB: 300 };

const CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
const GATEWAY = "bench-gateway";

/** Pepr's client, for watches: the one the kinds below are registered with. */
type Watches = Pick<typeof import("pepr"), "K8s">;
type Kinds = typeof import("../capabilities/kinds");

/**
 * Creates an object. The bench's writes go through one pool of connections, as the module's do, so
 * its own TLS handshakes do not compete with what it measures.
 */
type Create = (
  kind: ResourceKind | "ConfigMap",
  object: { metadata: { name: string; namespace?: string } } & Record<string, unknown>,
) => Promise<unknown>;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function routeManifest(namespace: string, name: string) {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1alpha1",
    kind: "AIGatewayRoute",
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ name: GATEWAY, kind: "Gateway", group: "gateway.networking.k8s.io" }],
      rules: Array.from({ length: RULES }, (_, rule) => ({
        name: `rule-${rule}`,
        matches: [
          { headers: [{ type: "Exact", name: "x-ai-eg-model", value: `${name}-model-${rule}` }] },
        ],
        backendRefs: [
          { name: `backend-${rule % BACKENDS}`, modelNameOverride: `upstream-model-${rule}` },
          { name: `backend-${(rule + 1) % BACKENDS}`, priority: 1 },
        ],
        modelsOwnedBy: "bench",
      })),
    },
  };
}

/** Tracks the Accepted condition of every route in the namespace, from one watch. */
class AcceptedRoutes {
  private readonly acceptedAt = new Map<string, number>();
  private waiters: Array<() => void> = [];

  onRoute(route: {
    metadata?: { name?: string; generation?: number };
    status?: { conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
  }) {
    const name = route.metadata?.name ?? "";
    const condition = route.status?.conditions?.find(c => c.type === "Accepted");
    const current =
      condition?.status === "True" && condition.observedGeneration === route.metadata?.generation;
    if (!current || this.acceptedAt.has(name)) return;
    this.acceptedAt.set(name, performance.now());
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(wake => wake());
  }

  get count(): number {
    return this.acceptedAt.size;
  }

  at(name: string): number | undefined {
    return this.acceptedAt.get(name);
  }

  /** Resolves once `done()` holds, re-checked on every newly accepted route. */
  async until(what: string, done: () => boolean, timeoutMs = TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Promise.race([new Promise<void>(wake => this.waiters.push(wake)), sleep(1000)]);
    }
  }
}

/** Writes the status Envoy Gateway writes once it has accepted a generated object. */
function envoyGatewayStandIn(api: KubeApi, watches: Watches, kinds: Kinds, namespace: string) {
  const condition = (type: string) => ({
    type,
    status: "True",
    reason: type,
    message: "accepted by the bench's Envoy Gateway stand-in",
    lastTransitionTime: new Date().toISOString(),
  });
  const ancestor = { group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY };
  const statusOf = (kind: "HTTPRoute" | "EnvoyExtensionPolicy") =>
    kind === "HTTPRoute"
      ? {
          parents: [
            {
              parentRef: ancestor,
              controllerName: CONTROLLER,
              conditions: [condition("Accepted"), condition("ResolvedRefs")],
            },
          ],
        }
      : {
          ancestors: [
            {
              ancestorRef: ancestor,
              controllerName: CONTROLLER,
              conditions: [condition("Accepted")],
            },
          ],
        };
  const pending: Array<() => Promise<unknown>> = [];
  const seen = new Set<string>();
  let running = 0;
  // Envoy Gateway writes statuses from a few workers, not one request per object at once.
  const pump = () => {
    while (running < 4 && pending.length > 0) {
      running++;
      void pending.shift()!()
        .catch(error => process.stderr.write(`stand-in: ${errorMessage(error)}\n`))
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  const onChild =
    (kind: "HTTPRoute" | "EnvoyExtensionPolicy") =>
    (object: { metadata?: { name?: string }; status?: object }) => {
      const name = object.metadata?.name ?? "";
      if (object.status && Object.keys(object.status).length > 0) return;
      if (seen.has(`${kind}/${name}`)) return;
      seen.add(`${kind}/${name}`);
      pending.push(() =>
        api.call(
          "PATCH",
          { ...RESOURCE_TYPES[kind], namespace, name, subresource: "status" },
          { body: { status: statusOf(kind) }, contentType: PATCH.merge },
        ),
      );
      pump();
    };
  return [
    watches.K8s(kinds.HTTPRoute, { namespace }).Watch(onChild("HTTPRoute")),
    watches.K8s(kinds.EnvoyExtensionPolicy, { namespace }).Watch(onChild("EnvoyExtensionPolicy")),
  ];
}

/** The providers every route sends to: Envoy Gateway Backends, AIServiceBackends, one API key. */
async function createBackends(create: Create, namespace: string): Promise<void> {
  await create("Secret", {
    metadata: { name: "bench-key", namespace },
    stringData: { apiKey: "sk-bench" },
  });
  for (let i = 0; i < BACKENDS; i++) {
    const name = `backend-${i}`;
    await create("Backend", {
      metadata: { name, namespace },
      spec: { endpoints: [{ fqdn: { hostname: `provider-${i}.example.com`, port: 443 } }] },
    });
    await create("AIServiceBackend", {
      metadata: { name, namespace },
      spec: {
        schema: { name: "OpenAI", version: "v1" },
        backendRef: { name, kind: "Backend", group: "gateway.envoyproxy.io" },
      },
    });
    await create("BackendSecurityPolicy", {
      metadata: { name: `${name}-auth`, namespace },
      spec: {
        targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name }],
        type: "APIKey",
        apiKey: { secretRef: { name: "bench-key" } },
      },
    });
  }
}

/** The routes of `namespace` that have their configuration Secret, read once. */
async function configuredRoutes(api: KubeApi, namespace: string): Promise<Set<string>> {
  const secrets = await api.list<{ metadata?: { annotations?: Record<string, string> } }>(
    { ...RESOURCE_TYPES.Secret, namespace: DEFAULT_SETTINGS.extProcNamespace },
    { labelSelector: `${CONFIG_LABEL}=${DEFAULT_SETTINGS.configSecretPrefix}`, metadataOnly: true },
  );
  const names = new Set<string>();
  for (const secret of secrets) {
    const [routeNamespace, name] = (
      secret.metadata?.annotations?.[CONFIG_ROUTE_ANNOTATION] ?? ""
    ).split("/");
    if (routeNamespace === namespace) names.add(name);
  }
  return names;
}

/** The API server's floor: ROUTES ConfigMaps the size of a route, with the same concurrency. */
async function baselineSeconds(create: Create, namespace: string): Promise<number> {
  const payload = JSON.stringify(routeManifest(namespace, "baseline-000000").spec);
  const started = performance.now();
  await inParallel(ROUTES, CONCURRENCY, i =>
    create("ConfigMap", {
      metadata: { name: `baseline-${i}`, namespace },
      data: { "route.json": payload },
    }),
  );
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  // A fresh module by default, so its memory is measured from a clean start.
  const reused = process.env.BENCH_REUSE_CLUSTER === "1" && (await isHealthy(readState()));
  if (!reused) await down();
  // The module as it runs in a cluster: its default resync period, not the cluster tests' short one.
  process.env.AIGW_RESYNC_SECONDS ??= String(DEFAULT_SETTINGS.resyncSeconds);
  await up();
  process.env.KUBECONFIG = KUBECONFIG;
  // Loaded after KUBECONFIG is set: the clients read it when first used.
  const watches: Watches = await import("pepr");
  const kinds: Kinds = await import("../capabilities/kinds");
  const api = await KubeApi.fromDefaultConfig(CONCURRENCY);
  const types = {
    ...RESOURCE_TYPES,
    ConfigMap: { group: "", version: "v1", plural: "configmaps" },
  };
  const create: Create = (kind, object) => {
    const { group, version } = types[kind];
    return api.call(
      "POST",
      { ...types[kind], namespace: object.metadata.namespace },
      { body: { apiVersion: group ? `${group}/${version}` : version, kind, ...object } },
    );
  };
  const namespace = `bench-${randomBytes(3).toString("hex")}`;
  const baselineNamespace = `${namespace}-baseline`;
  for (const name of [namespace, baselineNamespace])
    await create("Namespace", { metadata: { name } });

  const watchers: Array<{ close(): void; start(): Promise<unknown> }> = [];
  try {
    process.stderr.write(`baseline: ${ROUTES} ConfigMaps\n`);
    const baseline = await baselineSeconds(create, baselineNamespace);

    const routes = new AcceptedRoutes();
    watchers.push(
      watches.K8s(kinds.AIGatewayRoute, { namespace }).Watch(route => routes.onRoute(route)),
      ...envoyGatewayStandIn(api, watches, kinds, namespace),
    );
    for (const watcher of watchers) await watcher.start();

    await createBackends(create, namespace);
    const memoryBefore = memoryOf(modulePid());

    process.stderr.write(`bulk: ${ROUTES} routes of ${RULES} rules\n`);
    const bulkNames = Array.from(
      { length: ROUTES },
      (_, i) => `route-${String(i).padStart(5, "0")}`,
    );
    const { pids } = readState()!;
    const cpuSpent = cpuMeter({
      "kube-apiserver": pids.apiserver!,
      etcd: pids.etcd!,
      module: modulePid(),
      "bench (client, Envoy Gateway stand-in)": process.pid,
    });
    const started = performance.now();
    await inParallel(ROUTES, CONCURRENCY, i =>
      create("AIGatewayRoute", routeManifest(namespace, bulkNames[i])),
    );
    const created = (performance.now() - started) / 1000;
    await routes.until(`${ROUTES} routes to be Accepted`, () => routes.count >= ROUTES);
    const bulk = (performance.now() - started) / 1000;
    const bulkCpu = cpuSpent();
    const memoryAfterBulk = memoryOf(modulePid());

    process.stderr.write(`one more: ${SINGLES} routes, one at a time\n`);
    const latencies: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const name = `single-${String(i).padStart(3, "0")}`;
      const sent = performance.now();
      await create("AIGatewayRoute", routeManifest(namespace, name));
      await routes.until(`${name} to be Accepted`, () => routes.at(name) !== undefined, 60_000);
      latencies.push(routes.at(name)! - sent);
    }
    const memory = memoryOf(modulePid());

    const configured = await configuredRoutes(api, namespace);
    const missing = [...bulkNames].filter(name => !configured.has(name));
    if (missing.length > 0 || configured.size !== ROUTES + SINGLES) {
      throw new Error(
        `${missing.length} Accepted routes have no configuration entry (e.g. ${missing.slice(0, 3).join(", ")})`,
      );
    }
    printResults({ baseline, created, bulk, latencies, memoryBefore, memoryAfterBulk, memory });
    process.stdout.write(
      `\nCPU seconds spent during the ${ROUTES}-route bulk (${bulk.toFixed(1)} s of wall time, ` +
        `${availableParallelism()} cores):\n\n` +
        markdownTable(
          [
            { header: "process" },
            { header: "CPU s", align: "right" },
            { header: "ms per route", align: "right" },
          ],
          Object.entries(bulkCpu).map(([name, seconds]) => [
            name,
            seconds.toFixed(1),
            ((seconds * 1000) / ROUTES).toFixed(1),
          ]),
        ) +
        "\n",
    );
  } finally {
    for (const watcher of watchers) watcher.close();
    const keep = process.env.BENCH_KEEP_OBJECTS === "1" ? [namespace] : [];
    for (const name of [namespace, baselineNamespace].filter(n => !keep.includes(n))) {
      await api.call("DELETE", { ...RESOURCE_TYPES.Namespace, name }).catch(() => undefined);
    }
    await api.close();
    if (!reused) await down();
  }
}

interface Results {
  baseline: number;
  created: number;
  bulk: number;
  latencies: number[];
  memoryBefore: { rssMB: number };
  memoryAfterBulk: { rssMB: number };
  memory: { rssMB: number; peakMB: number };
}

function printResults(results: Results): void {
  const { baseline, created, bulk, latencies, memoryBefore, memoryAfterBulk, memory } = results;
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  const perConfigMap = baseline / ROUTES;
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  process.stdout.write(
    `\nNode ${process.version}; ${ROUTES} routes × ${RULES} rules over ${BACKENDS} backends; ` +
      `${CONCURRENCY} creates in flight; local kube-apiserver and etcd\n\n` +
      markdownTable(
        [
          { header: "measure" },
          { header: "value", align: "right" },
          { header: "× baseline", align: "right" },
          { header: "target", align: "right" },
          { header: "" },
        ],
        [
          [`create ${ROUTES} ConfigMaps (baseline)`, `${baseline.toFixed(1)} s`, "1.00", "", ""],
          [
            `create ${ROUTES} routes (admission included)`,
            `${created.toFixed(1)} s`,
            (created / baseline).toFixed(2),
            "",
            "",
          ],
          [
            `${ROUTES} routes to all Accepted, config delivered`,
            `${bulk.toFixed(1)} s`,
            (bulk / baseline).toFixed(2),
            `≤ ${TARGETS.bulkSeconds} s`,
            verdict(bulk <= TARGETS.bulkSeconds),
          ],
          [
            "one more route to Accepted, p50",
            `${p50.toFixed(0)} ms`,
            (p50 / 1000 / perConfigMap).toFixed(1),
            "",
            "",
          ],
          [
            `one more route to Accepted, p99 of ${latencies.length}`,
            `${p99.toFixed(0)} ms`,
            (p99 / 1000 / perConfigMap).toFixed(1),
            `≤ ${TARGETS.singleP99Ms} ms`,
            verdict(p99 <= TARGETS.singleP99Ms),
          ],
          ["module RSS before the routes", `${memoryBefore.rssMB.toFixed(0)} MB`, "", "", ""],
          ["module RSS after the bulk", `${memoryAfterBulk.rssMB.toFixed(0)} MB`, "", "", ""],
          [
            "module RSS at the end (peak)",
            `${memory.rssMB.toFixed(0)} MB (${memory.peakMB.toFixed(0)} MB)`,
            "",
            `≤ ${TARGETS.rssMB} MB`,
            verdict(memory.peakMB <= TARGETS.rssMB),
          ],
        ],
      ) +
      "\n\n(one-route ratios are against the baseline's time per ConfigMap)\n",
  );
}

main().catch(error => {
  process.stderr.write(`${error instanceof Error ? error.stack : errorMessage(error)}\n`);
  process.exit(1);
});
