/**
 * The loads the ext_proc benchmark puts on a server from this process: closed-loop saturation and
 * many streams held open mid-request (the open-loop latency load is native-open-loop.ts). Every
 * finished sequence goes to a check.
 */
import type { EnvoyDriver, SequenceResult } from "./envoy-driver";
import type { ServerProcess } from "./server-process";

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Checks one finished request. */
export type Check = (result: SequenceResult) => void;

export interface Saturation {
  requestsPerSecond: number;
  /** Server CPU time per request, µs (user + system, all threads). */
  serverCpuUsPerRequest: number;
  /** Share of one core the server and the driver used, 0–1. */
  serverCpuShare: number;
  driverCpuShare: number;
}

/**
 * `concurrency` streams back to back for `warmupMs + measureMs`; what counts is the requests that
 * finish in the last `measureMs`, and the server's CPU time over the same window.
 */
export async function saturate(
  driver: EnvoyDriver,
  messages: readonly Buffer[],
  server: ServerProcess,
  check: Check,
  options: { concurrency: number; warmupMs: number; measureMs: number },
): Promise<Saturation> {
  let finished = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      check(await driver.run(messages));
      finished++;
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  await sleep(options.warmupMs);
  const start = {
    at: performance.now(),
    finished,
    server: server.cpuSeconds(),
    driver: process.cpuUsage(),
  };
  await sleep(options.measureMs);
  const seconds = (performance.now() - start.at) / 1000;
  const requests = finished - start.finished;
  const serverSeconds = server.cpuSeconds() - start.server;
  const driverCpu = process.cpuUsage(start.driver);
  running = false;
  await Promise.all(workers);
  return {
    requestsPerSecond: requests / seconds,
    serverCpuUsPerRequest: (serverSeconds * 1e6) / requests,
    serverCpuShare: serverSeconds / seconds,
    driverCpuShare: (driverCpu.user + driverCpu.system) / 1e6 / seconds,
  };
}

export interface HeldOpen {
  /** VmRSS before the streams opened, and with all of them open, MB. */
  idleMB: number;
  openMB: number;
}

/**
 * Opens `streams` requests that each get the answers to their first `after` messages and then wait
 * (as requests waiting for their upstream do), reads the server's RSS, then lets them finish.
 */
export async function holdOpen(
  driver: EnvoyDriver,
  messages: readonly Buffer[],
  server: ServerProcess,
  check: Check,
  options: { streams: number; after: number },
): Promise<HeldOpen> {
  const idleMB = server.rssMB();
  let released = false;
  let release: () => void = () => {};
  const until = new Promise<void>(resolve => (release = resolve));
  // Every stream arrives: at the hold, or at its end when it failed before getting there.
  let arrived = 0;
  let allArrived: () => void = () => {};
  const everyoneWaits = new Promise<void>(resolve => (allArrived = resolve));
  const arrive = () => {
    if (++arrived === options.streams) allArrived();
  };
  const runs = Array.from({ length: options.streams }, () =>
    driver.run(messages, { after: options.after, until, reached: arrive }).then(result => {
      if (!released) arrive();
      check(result);
    }),
  );
  await everyoneWaits;
  await sleep(300);
  const openMB = server.rssMB();
  released = true;
  release();
  await Promise.all(runs);
  return { idleMB, openMB };
}
