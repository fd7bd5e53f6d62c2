/**
 * The HTTP load of the gateway benchmark, sent by a native program (http-load/, in Go) so that the
 * latency percentiles are the servers' and not a Node load generator's own pauses: closed-loop
 * saturation (requests per second with a fixed number of connections) and open-loop latency at a
 * fixed rate (each request sent on its schedule, whether or not the previous one answered, so a
 * slow server cannot hide its latency by slowing the load down). The program inherits this
 * process's cores.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { goProgram } from "../../test/support/go-program";
import { quantile } from "./measure";

export interface Target {
  /** `http://127.0.0.1:port` */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface HttpLoadSummary {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  latenciesMs?: number[];
}

/** Builds http-load on first use (needs Go); the path of its binary. */
export const httpLoadProgram = (): string =>
  goProgram(join(__dirname, "http-load"), "bench/run sends its load with a program built from Go");

async function httpLoad(target: Target, mode: string[]): Promise<HttpLoadSummary> {
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-load-"));
  const body = join(dir, "body.json");
  writeFileSync(body, target.body);
  const headers = Object.entries(target.headers).flatMap(([name, value]) => [
    "-header",
    `${name}:${value}`,
  ]);
  try {
    const { stdout } = await promisify(execFile)(
      httpLoadProgram(),
      ["-url", `${target.origin}${target.path}`, "-body", body, ...headers, ...mode],
      { maxBuffer: 64 << 20, encoding: "utf8" },
    );
    return JSON.parse(stdout) as HttpLoadSummary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Requests per second with `connections` requests always in flight, for `seconds`. */
export async function saturation(
  target: Target,
  connections: number,
  seconds: number,
): Promise<{ rps: number; errors: number; firstError?: string }> {
  const summary = await httpLoad(target, [
    ...["-mode", "saturate", "-connections", String(connections)],
    ...["-duration", `${seconds}s`],
  ]);
  return {
    rps: summary.requests / summary.seconds,
    errors: summary.errors,
    ...(summary.firstError && { firstError: summary.firstError }),
  };
}

/** Latency percentiles (ms) of requests sent at `rate` per second for `seconds`. */
export async function latencyAtRate(
  target: Target,
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number; errors: number; firstError?: string }> {
  const summary = await httpLoad(target, [
    ...["-mode", "rate", "-rate", String(rate)],
    ...["-duration", `${seconds}s`],
    // Connections opened as the load starts (the client's, and a gateway's to its upstream when
    // the last ones timed out while other targets were measured) are not what a request costs.
    ...["-warmup", "1s"],
  ]);
  const latencies = summary.latenciesMs ?? [];
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    errors: summary.errors,
    ...(summary.firstError && { firstError: summary.firstError }),
  };
}
