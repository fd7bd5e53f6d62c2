/**
 * What the ext_proc server costs per request, on the wire, as Envoy drives it: the server runs as its
 * own process, as the image runs it (test/support/image-server.ts: the built bundle, the Dockerfile's
 * node flags and ENV, with `--config-dir`), pinned to one core, on a Unix socket, and this process sends it,
 * from another core, the message sequences Envoy sends for three requests, with no upstream (the
 * response phases carry what the provider would answer):
 *
 * - OpenAI chat (~4 KB, with tools) → AWS Bedrock Converse, SigV4-signed, JSON response translated;
 * - the same request → OpenAI with an API key;
 * - the same request streaming → Bedrock ConverseStream, ~20 KB of event-stream frames in network
 *   chunks of 1–4 KB, each a response_body message.
 *
 * For each: requests/s at saturation (64 concurrent streams) with the server's CPU time per request;
 * the latency at a fixed 500 requests/s (open loop: a request every 2 ms whatever the earlier ones
 * do), p50, p99 and p99.9 from sending request_headers to the last answer (non-streaming), sent by a
 * native driver built from Go (support/envoy-load) so that no pause of a Node driver counts as the
 * server's; and the server's RSS with 1,000 streams open (request_headers and request_body
 * answered, waiting for the upstream).
 *
 * The baseline, started the same way and measured in the same run, is an ext_proc server that answers
 * every message with a plain continue: the floor of gRPC, HTTP/2 and protobuf for the same messages.
 * The server runs at its default LOG_LEVEL (info: one log line per request), and once more at warn for
 * what that line costs. Targets: ≥ 3,000 requests/s on one core, p99 ≤ 2 ms at 500 requests/s, RSS
 * ≤ 200 MB; a miss is printed, not failed. The run exits non-zero when any answer is not the success
 * path (a SigV4-signed, translated request; the answer text; a stream ending with data: [DONE]).
 *
 *   npm run bench:extproc      (needs 2 cores for server and driver to have one each; Linux for
 *                               /proc and taskset; Go 1.26 to build the latency driver)
 *   BENCH_CPU_PROF=<dir> npm run bench:extproc   writes a CPU profile of the server (LOG_LEVEL=info)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  BENCH_ROUTE,
  checkContinues,
  cycles,
  fingerprint,
  type Cycle,
} from "./support/extproc-cycles";
import { EnvoyDriver, isServing, type SequenceResult } from "./support/envoy-driver";
import { holdOpen, saturate, type HeldOpen, type Saturation } from "./support/extproc-load";
import { imageEnv, imageServerArgs } from "../test/support/image-server";
import { median, quantile } from "./support/measure";
import { envoyLoadProgram, nativeOpenLoop } from "./support/native-open-loop";
import { allowedCpus, hasTaskset, pinSelf, ServerProcess } from "./support/server-process";
import { describeStalls, probeStalls } from "./support/stall-probe";
import { markdownTable } from "./support/table";
import type { ProcessingResponse } from "../extproc/protocol";

const TARGETS = { requestsPerSecond: 3000, p99Ms: 2, rssMB: 200 };
const CONCURRENCY = 64;
/** Saturation runs in interleaved rounds (baseline, server, server at warn) so drift hits all. */
const ROUNDS = 2;
const SATURATION = { firstWarmupMs: 1500, warmupMs: 500, measureMs: 2500 };
const RATE = 500;
/** Long enough that a major garbage collection, every several seconds, shows in the p99 it costs. */
const LATENCY = { warmupMs: 500, measureMs: 6000 };
const OPEN_STREAMS = 1000;
/** Every answer is compared with the first correct one; every Nth is also checked in full. */
const FULL_CHECK_EVERY = 97;

const BASELINE = join(__dirname, "support/baseline-extproc.ts");

type Kind = "baseline" | "extproc" | "extproc-warn";
const LABELS: Record<Kind, string> = {
  baseline: "baseline (continue only)",
  extproc: "ext_proc, LOG_LEVEL=info (default)",
  "extproc-warn": "ext_proc, LOG_LEVEL=warn",
};

/** Counts the runs of one request on one server that were not the success path. */
class SuccessCheck {
  runs = 0;
  failures = 0;
  firstFailure?: string;
  private reference?: string;

  constructor(
    private readonly full: (responses: readonly ProcessingResponse[]) => string | undefined,
  ) {}

  readonly see = (result: SequenceResult): void => {
    this.runs++;
    const problem = result.error ?? this.problemOf(result.responses);
    if (problem) {
      this.failures++;
      this.firstFailure ??= problem;
    }
  };

  private problemOf(responses: readonly ProcessingResponse[]): string | undefined {
    const print = fingerprint(responses);
    if (this.reference === undefined || this.runs % FULL_CHECK_EVERY === 0) {
      let problem: string | undefined;
      try {
        problem = this.full(responses);
      } catch (error) {
        problem = `the answers do not parse: ${error instanceof Error ? error.message : error}`;
      }
      if (problem) return problem;
      this.reference ??= print;
    }
    return print === this.reference ? undefined : `the answers differ from the first correct run`;
  }
}

interface Server {
  kind: Kind;
  process: ServerProcess;
  driver: EnvoyDriver;
  /** VmRSS once serving, before any request, MB. */
  startMB: number;
}

interface Result {
  saturation: Saturation[];
  latency?: { p50: number; p99: number; p999: number; lateP99: number };
  held?: HeldOpen;
}

async function startServers(dir: string, serverCpu: number | undefined): Promise<Server[]> {
  const routes = join(dir, "routes");
  mkdirSync(routes);
  writeFileSync(join(routes, "route.json"), JSON.stringify(BENCH_ROUTE));
  const profileDir = process.env.BENCH_CPU_PROF;
  const image = imageServerArgs(dir);
  const start = async (kind: Kind): Promise<Server> => {
    const socket = join(dir, `${kind}.sock`);
    const address = `unix:${socket}`;
    const nodeArgs =
      kind === "baseline"
        ? ["-r", "tsx/cjs", BASELINE, socket]
        : [
            ...(profileDir && kind === "extproc"
              ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]
              : []),
            ...image,
            "--config-dir",
            routes,
            "--port",
            "0",
          ];
    const process = await ServerProcess.start({
      name: LABELS[kind],
      nodeArgs,
      cpu: serverCpu,
      env: {
        ...(kind === "baseline" ? {} : imageEnv()),
        LOG_LEVEL: kind === "extproc-warn" ? "warn" : "info",
        AIGW_EXTPROC_SOCKET: socket,
        AIGW_EXTPROC_LISTEN_HOST: "127.0.0.1",
        AIGW_METRICS_PORT: "0",
        AIGW_DRAIN_SECONDS: "1",
      },
      ...(kind === "extproc-warn" ? { ready: () => isServing(address) } : {}),
    });
    return { kind, process, driver: new EnvoyDriver(address), startMB: process.rssMB() };
  };
  // One at a time: they share a core, and a start is mostly compiling.
  const servers: Server[] = [];
  for (const kind of ["baseline", "extproc", "extproc-warn"] as const) {
    servers.push(await start(kind));
  }
  return servers;
}

interface Placement {
  /** The driver's core, where the native latency driver runs too. */
  driverCpu?: number;
  /** A scratch folder. */
  dir: string;
}

async function measureCycle(
  cycle: Cycle,
  servers: Server[],
  checks: Map<string, SuccessCheck>,
  firstCycle: boolean,
  placement: Placement,
): Promise<Map<Kind, Result>> {
  const messages = servers[0].driver.encode(cycle.messages);
  const results = new Map<Kind, Result>(servers.map(s => [s.kind, { saturation: [] }]));
  const checkOf = (server: Server) => {
    const key = `${cycle.name} on ${LABELS[server.kind]}`;
    if (!checks.has(key)) {
      checks.set(
        key,
        new SuccessCheck(responses =>
          server.kind === "baseline"
            ? checkContinues(cycle.messages, responses)
            : cycle.check(responses),
        ),
      );
    }
    return checks.get(key)!.see;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of servers) {
      const warmupMs = round === 0 && firstCycle ? SATURATION.firstWarmupMs : SATURATION.warmupMs;
      results.get(server.kind)!.saturation.push(
        await saturate(server.driver, messages, server.process, checkOf(server), {
          concurrency: CONCURRENCY,
          warmupMs,
          measureMs: SATURATION.measureMs,
        }),
      );
    }
  }
  for (const server of servers.filter(s => s.kind !== "extproc-warn")) {
    const result = results.get(server.kind)!;
    if (!cycle.streaming) {
      const { latenciesMs, lateMs } = await nativeOpenLoop(
        server.driver.address,
        messages,
        checkOf(server),
        { rate: RATE, ...LATENCY, cpu: placement.driverCpu, dir: placement.dir },
      );
      result.latency = {
        p50: quantile(latenciesMs, 0.5),
        p99: quantile(latenciesMs, 0.99),
        p999: quantile(latenciesMs, 0.999),
        lateP99: quantile(lateMs, 0.99),
      };
    }
    result.held = await holdOpen(server.driver, messages, server.process, checkOf(server), {
      streams: OPEN_STREAMS,
      after: 2,
    });
  }
  return results;
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? "—" : value.toFixed(digits);
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined ? "—" : (value / base).toFixed(2);

interface Summary {
  rps: number;
  cpuUs: number;
  serverShare: number;
  driverShare: number;
}

const summarize = (result: Result): Summary => ({
  rps: median(result.saturation.map(s => s.requestsPerSecond)),
  cpuUs: median(result.saturation.map(s => s.serverCpuUsPerRequest)),
  serverShare: median(result.saturation.map(s => s.serverCpuShare)),
  driverShare: median(result.saturation.map(s => s.driverCpuShare)),
});

/**
 * The targets the server row meets. Requests/s per core is judged on the server's CPU time per
 * request (what one core's second buys), which holds whether or not the server had its core to
 * itself during the run; the measured rate is shown beside it.
 */
function verdict(kind: Kind, summary: Summary, result: Result): string {
  if (kind === "baseline") return "";
  const misses = [
    1e6 / summary.cpuUs < TARGETS.requestsPerSecond && "requests/s",
    result.latency && result.latency.p99 > TARGETS.p99Ms && "p99",
    result.held && result.held.openMB > TARGETS.rssMB && "RSS",
  ].filter(Boolean);
  return misses.length === 0 ? "pass" : `miss: ${misses.join(", ")}`;
}

async function main(): Promise<void> {
  const allowed = allowedCpus() ?? [];
  const taskset = hasTaskset();
  const serverCpu = taskset && allowed.length > 0 ? allowed[0] : undefined;
  const driverCpu = taskset && allowed.length > 1 && pinSelf(allowed[1]) ? allowed[1] : undefined;
  const placement =
    serverCpu === undefined
      ? "taskset is not available: the server and the driver are not pinned and share the machine's cores"
      : driverCpu === undefined
        ? `server pinned to core ${serverCpu} (taskset); only one core is allowed, so the driver shares it`
        : `server pinned to core ${serverCpu}, driver (this process) to core ${driverCpu} (taskset)`;

  const loadBefore = loadavg()[0];
  // One probe a core in use: unpinned, or with the driver unpinned beside a pinned server, a second
  // probe would share a core with the first and count its turns as stalls (as bench/run.ts does).
  const stalls = await probeStalls(driverCpu === undefined ? [serverCpu] : [serverCpu, driverCpu]);
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-extproc-"));
  const logCost: string[] = [];
  const checks = new Map<string, SuccessCheck>();
  const all = cycles();
  const rows: string[][] = [];
  const notes: string[] = [];
  let servers: Server[] = [];
  try {
    // Built before any server starts, so a cold Go build does not overlap a measurement.
    envoyLoadProgram();
    servers = await startServers(dir, serverCpu);
    let first = true;
    for (const cycle of all) {
      const results = await measureCycle(cycle, servers, checks, first, { driverCpu, dir });
      first = false;
      const base = results.get("baseline")!;
      const baseSummary = summarize(base);
      const infoUs = summarize(results.get("extproc")!).cpuUs;
      const warnUs = summarize(results.get("extproc-warn")!).cpuUs;
      logCost.push(
        `${cycle.name}: ${fixed(infoUs - warnUs, 0)} µs (${fixed(((infoUs - warnUs) / infoUs) * 100, 0)}%)`,
      );
      for (const server of servers) {
        const result = results.get(server.kind)!;
        const summary = summarize(result);
        const notServerBound = summary.serverShare < 0.85;
        rows.push([
          cycle.name,
          LABELS[server.kind],
          `${fixed(summary.rps, 0)}${notServerBound ? " †" : ""}`,
          server.kind === "baseline" ? "1.00" : ratio(summary.rps, baseSummary.rps),
          fixed(summary.cpuUs, 0),
          server.kind === "baseline" ? "1.00" : ratio(summary.cpuUs, baseSummary.cpuUs),
          fixed(1e6 / summary.cpuUs, 0),
          fixed(result.latency?.p50, 2),
          fixed(result.latency?.p99, 2),
          result.latency ? ratio(result.latency.p99, base.latency?.p99) : "—",
          fixed(result.latency?.p999, 2),
          fixed(result.held?.openMB, 0),
          result.held ? ratio(result.held.openMB, base.held?.openMB) : "—",
          verdict(server.kind, summary, result),
        ]);
        notes.push(
          `${cycle.name}, ${LABELS[server.kind]}: server ${fixed(summary.serverShare * 100, 0)}% ` +
            `of its core, driver ${fixed(summary.driverShare * 100, 0)}% at saturation` +
            (result.latency
              ? `; at ${RATE}/s, p99 start lateness ${fixed(result.latency.lateP99, 2)} ms`
              : "") +
            (result.held
              ? `; RSS ${fixed(result.held.idleMB, 0)} MB before the ${OPEN_STREAMS} streams, ` +
                `${fixed(((result.held.openMB - result.held.idleMB) * 1e3) / OPEN_STREAMS, 1)} KB each`
              : ""),
        );
      }
    }
  } finally {
    for (const server of servers) {
      server.driver.close();
      const code = await server.process.stop();
      if (code !== 0) {
        console.error(`${server.process.name} exited with ${code}`);
        process.exitCode = 1;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const info = servers.find(s => s.kind === "extproc");
  const cpu = cpus();
  console.log(
    `Node ${process.version} on ${cpu[0]?.model ?? "an unknown CPU"} (${cpu.length} cores); ` +
      `${placement}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} ` +
      `after (other processes compete for the cores when it is above 2); ${describeStalls(stalls)}.\nPer cycle: ${ROUNDS} interleaved rounds of ${SATURATION.measureMs / 1000} s ` +
      `at ${CONCURRENCY} concurrent streams (median), then ${LATENCY.measureMs / 1000} s at ` +
      `${RATE} requests/s (open loop, sent by a native driver), then ${OPEN_STREAMS} streams held open after request_body. ` +
      `No upstream: latency is the server's (and gRPC's) own.\nTargets: ≥ ` +
      `${TARGETS.requestsPerSecond} requests/s on one core, p99 ≤ ${TARGETS.p99Ms} ms at ${RATE}/s ` +
      `(non-streaming), RSS ≤ ${TARGETS.rssMB} MB with ${OPEN_STREAMS} open streams. MB = 10^6 bytes.\n`,
  );
  for (const cycle of all) {
    console.log(
      `- ${cycle.name}: ${cycle.messages.length} messages, ` +
        `${cycle.messages.reduce((n, m) => n + (m.request_body?.body?.length ?? 0) + (m.response_body?.body?.length ?? 0), 0)} body bytes in`,
    );
  }
  console.log();
  console.log(
    markdownTable(
      [
        { header: "request" },
        { header: "server" },
        { header: "req/s", align: "right" },
        { header: "× base", align: "right" },
        { header: "CPU µs/req", align: "right" },
        { header: "× base", align: "right" },
        { header: "req/s per core (CPU)", align: "right" },
        { header: `p50 ms @${RATE}/s`, align: "right" },
        { header: `p99 ms @${RATE}/s`, align: "right" },
        { header: "× base", align: "right" },
        { header: "p99.9 ms", align: "right" },
        { header: `RSS MB, ${OPEN_STREAMS} open`, align: "right" },
        { header: "× base", align: "right" },
        { header: "targets" },
      ],
      rows,
    ),
  );
  console.log(
    `\nreq/s: measured with ${CONCURRENCY} concurrent streams. † the server used under 85% of ` +
      `its core, so the driver or other processes set that rate. req/s per core (CPU): 10^6 ÷ the ` +
      `server's CPU µs per request, what the targets are judged on.\n`,
  );
  for (const note of notes) console.log(`- ${note}`);
  console.log(
    `- RSS once serving, before any request: ${servers.map(s => `${LABELS[s.kind]} ${fixed(s.startMB, 0)} MB`).join(", ")}`,
  );
  if (info) {
    const perLine = info.process.logLines > 0 ? info.process.logBytes / info.process.logLines : 0;
    console.log(
      `- the per-request log line (LOG_LEVEL=info over warn, server CPU per request): ` +
        `${logCost.join("; ")}; the info server wrote ${info.process.logLines} lines of ` +
        `${fixed(perLine, 0)} bytes`,
    );
  }

  const failed = [...checks.entries()].filter(([, check]) => check.failures > 0);
  console.log(
    `\nChecked ${[...checks.values()].reduce((n, c) => n + c.runs, 0)} requests: ` +
      (failed.length === 0 ? "every answer was the success path." : "FAILURES:"),
  );
  for (const [key, check] of failed) {
    console.error(
      `  ${key}: ${check.failures} of ${check.runs} not the success path; first: ${check.firstFailure}`,
    );
  }
  if (failed.length > 0 || checks.size === 0) process.exitCode = 1;
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
