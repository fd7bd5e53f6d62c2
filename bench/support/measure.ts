/**
 * Timing for the benchmarks: a time-bounded median of nanoseconds per call, so each measurement
 * takes about the same wall time on any machine and one slow sample (a GC pause, a timer tick) does
 * not move the result.
 */

export interface MeasureOptions {
  /** Wall time spent warming up (JIT, inline caches) before any sample counts. Default 100 ms. */
  warmupMs?: number;
  /** Wall time spent collecting samples after the warm-up. Default 400 ms. */
  budgetMs?: number;
  /** Samples collected even when they take longer than `budgetMs`. Default 15. */
  minSamples?: number;
  /**
   * Calls are batched until one sample lasts about this long, so the timer's own cost and
   * resolution stay small against what is measured. Default 100 µs.
   */
  sampleTargetNs?: number;
}

export interface Measurement {
  /** The median of the per-call times of all samples, in nanoseconds. */
  medianNs: number;
  samples: number;
  callsPerSample: number;
}

/** The middle value of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The `q` quantile (0–1) of `values`, nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const isPromise = (value: unknown): value is Promise<unknown> => value instanceof Promise;

/**
 * Median nanoseconds per call of `fn`. A `fn` that returns a promise is awaited; a synchronous one
 * is never awaited, so its samples carry no microtask overhead.
 */
export async function measureNsPerCall(
  fn: () => unknown,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { warmupMs = 100, budgetMs = 400, minSamples = 15, sampleTargetNs = 100_000 } = options;

  let warmupCalls = 0;
  const warmupStart = process.hrtime.bigint();
  const warmupEnd = warmupStart + BigInt(warmupMs * 1e6);
  // At least two calls, so a call that is slower than the whole warm-up is still run warm.
  while (warmupCalls < 2 || process.hrtime.bigint() < warmupEnd) {
    const result = fn();
    if (isPromise(result)) await result;
    warmupCalls++;
  }
  const nsPerCallEstimate = Number(process.hrtime.bigint() - warmupStart) / warmupCalls;
  const callsPerSample = Math.max(1, Math.ceil(sampleTargetNs / nsPerCallEstimate));

  const samples: number[] = [];
  const end = process.hrtime.bigint() + BigInt(budgetMs * 1e6);
  while (samples.length < minSamples || process.hrtime.bigint() < end) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < callsPerSample; i++) {
      const result = fn();
      if (isPromise(result)) await result;
    }
    samples.push(Number(process.hrtime.bigint() - start) / callsPerSample);
  }
  return { medianNs: median(samples), samples: samples.length, callsPerSample };
}
