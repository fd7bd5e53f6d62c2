/** Time as the token caches see it: injectable so tests control expiry without sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, callback: () => void): () => void;
}

const MAX_TIMER_MS = 2_147_483_647;

/** The real clock. Its timers are unref'd so a pending refresh never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    // setTimeout fires at once for delays past 2^31-1 ms; a long-lived credential just refreshes
    // on the next request that notices instead.
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
