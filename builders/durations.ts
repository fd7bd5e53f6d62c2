/** Gateway API durations (`1h2m3s4ms`, at most four parts). */
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

export function durationToMs(value: string): number {
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)(ms|h|m|s)/g))
    total += Number(amount) * UNIT_MS[unit];
  return total;
}

/** The longer of two durations; `0s` means "no timeout" and so is the longest. */
export function longerDuration(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (durationToMs(a) === 0) return a;
  if (durationToMs(b) === 0) return b;
  return durationToMs(a) >= durationToMs(b) ? a : b;
}
