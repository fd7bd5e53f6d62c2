/**
 * `ai-gateway run` against the same local fake OpenAI upstream as a direct connection to it (the
 * baseline), a plain Node proxy (the floor of any Node gateway here: support/baseline-proxy.ts)
 * and, when it is installed, Portkey's open-source gateway (`@portkey-ai/gateway`):
 * requests per second at saturation (the median of interleaved rounds; "vs direct" and "run ÷ this"
 * are medians of each round's ratio), and the latency each gateway adds at a fixed rate (its p50
 * and p99 minus the direct ones), non-streaming and streaming. Every server runs in its own
 * process, and the load is sent by a native program (support/http-load, built from Go), so no pause of a
 * Node load generator counts as a gateway's latency; with taskset and two cores, the gateways run
 * on one core and the load and the upstream on the other.
 *
 *   npm run bench:run     BENCH_SECONDS per saturation round (default 4), BENCH_ROUNDS of them (3),
 *                         BENCH_CONNECTIONS (10), BENCH_RATE (200)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpLoadProgram, latencyAtRate, saturation, type Target } from "./support/load";
import { median } from "./support/measure";
import { allowedCpus, hasTaskset, pinnedCommand, pinSelf } from "./support/server-process";
import { describeStalls, probeStalls } from "./support/stall-probe";
import { markdownTable } from "./support/table";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** The open loop at a fixed rate, long enough for a p99 of 1,000 requests at 200/s. */
const LATENCY_SECONDS = 5;
/** Saturation rounds per target, interleaved. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const ROOT = join(__dirname, "..");
const PORTKEY_PORT = 8787;
const children: ChildProcess[] = [];

/**
 * Starts a process (pinned to `cpu` when given) and resolves with the first line of its stdout that
 * `match` finds.
 */
function startProcess(
  command: string,
  args: string[],
  match: RegExp,
  cpu?: number,
): Promise<string> {
  const [file, argv] = pinnedCommand(cpu, command, args);
  const child = spawn(file, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", chunk => {
      out += chunk;
      const found = match.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.once("exit", code => reject(new Error(`${command} ${args.join(" ")} exited ${code}`)));
  });
}

function manifests(upstreamPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-"));
  const file = join(dir, "bench.yaml");
  writeFileSync(
    file,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: upstream}
spec: {endpoints: [{ip: {address: 127.0.0.1, port: ${upstreamPort}}}]}
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: {name: upstream}
spec:
  schema: {name: OpenAI, version: v1}
  backendRef: {name: upstream, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: v1
kind: Secret
metadata: {name: upstream}
stringData: {apiKey: sk-bench}
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: upstream}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: upstream}]
  type: APIKey
  apiKey: {secretRef: {name: upstream}}
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: {name: bench}
spec:
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: gpt-4o}]}]
      modelsOwnedBy: OpenAI
      backendRefs: [{name: upstream}]
`,
  );
  return file;
}

/**
 * Portkey's gateway, when its package is installed: it is an optional comparison. As shipped, on
 * Node it fails every streamed response (see `support/portkey/streaming-fix.mjs`), so streams are
 * measured against a second instance started with that fix; whole answers against Portkey as is.
 */
async function startPortkey(
  upstreamPort: number,
  cpu: number | undefined,
): Promise<{ headers: Target["headers"]; origin: (stream: boolean) => string } | undefined> {
  let entry: string;
  try {
    entry = require.resolve("@portkey-ai/gateway/build/start-server.js");
  } catch {
    return undefined;
  }
  const fix = join(__dirname, "support", "portkey", "streaming-fix.mjs");
  await Promise.all([
    startProcess("node", [entry, `--port=${PORTKEY_PORT}`, "--headless"], /(Ready)/, cpu),
    startProcess(
      "node",
      ["--import", fix, entry, `--port=${PORTKEY_PORT + 1}`, "--headless"],
      /(Ready)/,
      cpu,
    ),
  ]);
  return {
    headers: {
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `http://127.0.0.1:${upstreamPort}/v1`,
    },
    origin: stream => `http://127.0.0.1:${stream ? PORTKEY_PORT + 1 : PORTKEY_PORT}`,
  };
}

/** A latency, or "—" when no request succeeded (all errors: the row says how many). */
const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "—" : value.toFixed(2);

const body = (stream: boolean) =>
  JSON.stringify({
    model: "gpt-4o",
    messages: [{ role: "user", content: "Say hello in two words." }],
    stream,
  });

async function main(): Promise<void> {
  // Each gateway gets a core of its own, and the load and the upstream share the other: a gateway
  // that shared its core with the load would measure the load generator as much as itself.
  const allowed = allowedCpus() ?? [];
  const pinned = hasTaskset() && allowed.length > 1 && pinSelf(allowed[1]);
  // Built before anything runs, so a cold Go build does not overlap a measurement.
  httpLoadProgram();
  const [gatewayCpu, loadCpu] = pinned ? [allowed[0], allowed[1]] : [undefined, undefined];
  console.log(
    pinned
      ? `gateways pinned to core ${gatewayCpu}; the load and the upstream to core ${loadCpu} (taskset)`
      : "not pinned (taskset or a second core is missing): every process shares the machine's cores",
  );
  console.log(
    `${describeStalls(await probeStalls(pinned ? [gatewayCpu, loadCpu] : [undefined]))}\n`,
  );
  const upstreamPort = Number(
    await startProcess(
      process.execPath,
      ["--import", "tsx", "bench/support/fake-openai-upstream.ts"],
      /^(\d+)\n/,
      loadCpu,
    ),
  );
  const proxyPort = await startProcess(
    process.execPath,
    ["--import", "tsx", "bench/support/baseline-proxy.ts", String(upstreamPort)],
    /^(\d+)\n/,
    gatewayCpu,
  );
  const gatewayURL = await startProcess(
    "node",
    ["cli/bin.js", "run", "-f", manifests(upstreamPort), "--port", "0"],
    /at (http:\/\/\S+)\/v1/,
    gatewayCpu,
  );
  const portkey = await startPortkey(upstreamPort, gatewayCpu);
  const common = { "content-type": "application/json", authorization: "Bearer sk-bench" };
  const targets: Array<{ name: string; target: (stream: boolean) => Target }> = [
    {
      name: "direct",
      target: stream => ({
        origin: `http://127.0.0.1:${upstreamPort}`,
        path: "/v1/chat/completions",
        headers: common,
        body: body(stream),
      }),
    },
    {
      name: "plain Node proxy",
      target: stream => ({
        origin: `http://127.0.0.1:${proxyPort}`,
        path: "/v1/chat/completions",
        headers: common,
        body: body(stream),
      }),
    },
    {
      name: "ai-gateway run",
      target: stream => ({
        origin: gatewayURL.replace("localhost", "127.0.0.1"),
        path: "/v1/chat/completions",
        headers: common,
        body: body(stream),
      }),
    },
    ...(portkey
      ? [
          {
            name: "Portkey",
            target: (stream: boolean) => ({
              origin: portkey.origin(stream),
              path: "/v1/chat/completions",
              headers: { ...common, ...portkey.headers },
              body: body(stream),
            }),
          },
        ]
      : []),
  ];
  if (!portkey) {
    console.log("Portkey: skipped (@portkey-ai/gateway is not installed)\n");
  }

  /** Where run is in `targets`. */
  const RUN = targets.findIndex(({ name }) => name === "ai-gateway run");
  const FLOOR = targets.findIndex(({ name }) => name === "plain Node proxy");
  const rows: string[][] = [];
  /** What run adds over the plain proxy, per body. */
  const overFloor: string[] = [];
  /** The first error of each target that had some, printed under the table. */
  const failures: string[] = [];
  for (const stream of [false, true]) {
    // Saturation in interleaved rounds, so a change in the machine's load hits every target alike;
    // each round's ratio is taken within the round, and the medians are reported. Each round
    // starts with a second of load that is not counted: a server that sat idle while the others
    // were measured has had time to collect its garbage, which its first second would flatter.
    const rounds = targets.map(() => [] as Awaited<ReturnType<typeof saturation>>[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { target }] of targets.entries()) {
        await saturation(target(stream), CONNECTIONS, 1);
        rounds[i].push(await saturation(target(stream), CONNECTIONS, SECONDS));
      }
    }
    const results = [];
    for (const [i, { name, target }] of targets.entries()) {
      const lat = await latencyAtRate(target(stream), RATE, LATENCY_SECONDS);
      const errors = rounds[i].reduce((sum, r) => sum + r.errors, 0) + lat.errors;
      const firstError = [...rounds[i], lat].find(r => r.firstError)?.firstError;
      if (firstError) failures.push(`${name} (${stream ? "stream" : "whole"}): ${firstError}`);
      results.push({ name, rps: median(rounds[i].map(r => r.rps)), ...lat, errors });
    }
    const direct = results[0];
    const floor = results[FLOOR];
    const gateway = results[RUN];
    for (const [i, result] of results.entries()) {
      const isDirect = result === direct;
      // This target's throughput over direct's, and run's over this target's, round by round.
      const overDirect = median(rounds[i].map((r, round) => r.rps / rounds[0][round].rps));
      const runOverThis = median(rounds[RUN].map((r, round) => r.rps / rounds[i][round].rps));
      rows.push([
        stream ? "stream" : "whole",
        result.name,
        result.rps.toFixed(0),
        isDirect ? "" : `${overDirect.toFixed(2)}×`,
        ms(result.p50),
        ms(result.p99),
        isDirect ? "" : ms(result.p50 - direct.p50),
        isDirect ? "" : ms(result.p99 - direct.p99),
        result === gateway || isDirect || result.rps === 0 ? "" : `${runOverThis.toFixed(2)}×`,
        String(result.errors),
      ]);
    }
    overFloor.push(
      `${stream ? "stream" : "whole"}: p50 ${ms(gateway.p50 - floor.p50)} ms, p99 ${ms(gateway.p99 - floor.p99)} ms`,
    );
  }
  console.log(
    markdownTable(
      [
        { header: "body" },
        { header: "target" },
        { header: `req/s (${CONNECTIONS} conns, median)`, align: "right" },
        { header: "vs direct", align: "right" },
        { header: `p50 ms @${RATE}/s`, align: "right" },
        { header: `p99 ms @${RATE}/s`, align: "right" },
        { header: "added p50", align: "right" },
        { header: "added p99", align: "right" },
        { header: "run ÷ this", align: "right" },
        { header: "errors", align: "right" },
      ],
      rows,
    ),
  );
  console.log(`- what run adds over the plain Node proxy: ${overFloor.join("; ")}`);
  for (const failure of failures) console.log(`- first error, ${failure}`);
}

main()
  .catch(error => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill("SIGTERM");
  });
