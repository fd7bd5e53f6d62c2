/**
 * The time one upstream attempt may take, as a signal to send it with. Both front doors send
 * attempts through it (`run` every attempt, the ext_proc server its fallbacks), so a timeout ends an
 * attempt the same way and is named the same way in either.
 *
 * One controller and one timer per attempt, cleared when it ends: `AbortSignal.timeout` and
 * `AbortSignal.any` keep theirs until garbage collection, which shows in the tail latency under load.
 */

/** How long an attempt may take (ms, ≥ 1; Infinity for no limit), and what to say when it ran out. */
export interface AttemptLimit {
  ms: number;
  /** Which limit this is, decided when the attempt starts: "no answer within …". */
  exceeded: string;
  /**
   * Whether running out is the backend's failure: its own request timeout is; the request's
   * timeout or the fallback budget running out while it answers is the gateway's limit, and must
   * not put a healthy backend on cool-down.
   */
  backendAtFault: boolean;
}

/** Why an attempt got no answer, and whether its backend is to blame. */
export interface AttemptFailure {
  reason: unknown;
  backendAtFault: boolean;
}

/** Node fires a longer timer at once (after 1 ms); a limit this long is no limit in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AttemptDeadline {
  private readonly controller = new AbortController();
  private readonly timer?: NodeJS.Timeout;
  private readonly onCancelled = () => this.controller.abort();
  private expired = false;

  /** `cancelled`, when given, ends the attempt too: the client went away. */
  constructor(
    private readonly limit: AttemptLimit,
    private readonly cancelled?: AbortSignal,
  ) {
    if (limit.ms <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => {
        this.expired = true;
        this.controller.abort();
      }, limit.ms);
    }
    if (cancelled?.aborted) this.controller.abort();
    else cancelled?.addEventListener("abort", this.onCancelled, { once: true });
  }

  /** Aborts when the limit runs out or the client goes away, whichever comes first. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The failure of an attempt that ended with `error`: the limit's own words when it ran out. */
  failure(error: unknown): AttemptFailure {
    return this.expired
      ? { reason: new Error(this.limit.exceeded), backendAtFault: this.limit.backendAtFault }
      : { reason: error, backendAtFault: true };
  }

  clear(): void {
    clearTimeout(this.timer);
    this.cancelled?.removeEventListener("abort", this.onCancelled);
  }
}
