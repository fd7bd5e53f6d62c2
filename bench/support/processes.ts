/** Processes of the local test system, as the cluster benchmarks measure them. */
import { readdirSync, readFileSync } from "node:fs";

/** Runs `task` for 0…count-1 with at most `limit` in flight. */
export async function inParallel(
  count: number,
  limit: number,
  task: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** The node process that runs the built module under `pepr dev`. */
export function modulePid(): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("pepr-ai-gateway.js")) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error("the module process (dist/pepr-ai-gateway.js) is not running");
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSecondsOf(pid: number): number {
  // Fields after the command name (which may hold spaces) of /proc/<pid>/stat; utime and stime are
  // the 14th and 15th fields, in clock ticks (100 per second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** What each process of the test system spent on CPU between two readings. */
export function cpuMeter(processes: Record<string, number>) {
  const read = () =>
    Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const start = read();
  return () => {
    const end = read();
    return Object.fromEntries(Object.keys(processes).map(name => [name, end[name] - start[name]]));
  };
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))?.[1]);
  return { rssMB: kb("VmRSS") / 1024, peakMB: kb("VmHWM") / 1024 };
}
