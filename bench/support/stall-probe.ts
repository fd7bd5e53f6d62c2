/**
 * How often the machine itself stops a process that wants to run: a probe pinned to each core spins
 * on the clock for a while and counts the gaps between two readings. A gap is time the core gave to
 * something else (the hypervisor, an interrupt, a kernel thread). A request in flight during a
 * stall waits it out, so stalls set a floor under any p99 measured on the machine, whatever the
 * server does: printed beside the latencies, they say how much of a p99 is the machine's.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pinnedCommand } from "./server-process";

/** Stalls longer than this count. */
const STALL_MS = 1;

export interface CoreStalls {
  /** The core probed, or undefined when not pinned. */
  cpu?: number;
  /** Stalls over 1 ms per second. */
  perSecond: number;
  /** The longest gap, ms. */
  longestMs: number;
  /** Share of the time lost to stalls over 1 ms, 0–1. */
  lostShare: number;
}

// Runs in its own node: spin on the clock, then print what was seen as JSON.
const PROBE = `
const seconds = Number(process.argv[1]);
const end = performance.now() + seconds * 1000;
let last = performance.now(), count = 0, longest = 0, lost = 0;
for (let now = last; now < end; last = now) {
  now = performance.now();
  const gap = now - last;
  if (gap > ${STALL_MS}) { count++; lost += gap; }
  if (gap > longest) longest = gap;
}
console.log(JSON.stringify({ perSecond: count / seconds, longestMs: longest, lostShare: lost / (seconds * 1000) }));
`;

/** Probes each of `cpus` (or, unpinned, one core) at once, for `seconds`. */
export async function probeStalls(
  cpus: readonly (number | undefined)[],
  seconds = 3,
): Promise<CoreStalls[]> {
  return Promise.all(
    cpus.map(async cpu => {
      const [file, argv] = pinnedCommand(cpu, process.execPath, ["-e", PROBE, String(seconds)]);
      const { stdout } = await promisify(execFile)(file, argv, { encoding: "utf8" });
      return { cpu, ...(JSON.parse(stdout) as Omit<CoreStalls, "cpu">) };
    }),
  );
}

/** One line for a report. */
export const describeStalls = (stalls: readonly CoreStalls[]): string =>
  "machine stalls (a probe spinning on each core, stalls over 1 ms): " +
  stalls
    .map(
      s =>
        `${s.cpu === undefined ? "unpinned" : `core ${s.cpu}`} ${s.perSecond.toFixed(1)}/s, ` +
        `longest ${s.longestMs.toFixed(1)} ms, ${(s.lostShare * 100).toFixed(2)}% of the time`,
    )
    .join("; ");
