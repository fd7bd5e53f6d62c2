/**
 * The time one upstream attempt may take, as a cancellation to send it with. Both front doors send
 * attempts through it (`run` every attempt, the ext_proc server its fallbacks), so a timeout ends an
 * attempt the same way and is named the same way in either.
 *
 * One timer per attempt, cleared when it ends: `AbortSignal.timeout` and `AbortSignal.any` keep
 * theirs until garbage collection, which shows in the tail latency under load.
 */
import { Cancellation } from "./cancellation";

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

/**
 * Cancelled when the limit runs out or `parent` (the client going away) is, whichever comes first.
 */
export class AttemptDeadline extends Cancellation {
  private readonly timer?: NodeJS.Timeout;
  private readonly onParentCancelled = (reason: Error) => this.cancel(reason);
  /** The limit ran out before anything else cancelled the attempt: its reason is the limit's. */
  private expired = false;

  constructor(
    private readonly limit: AttemptLimit,
    private readonly parent?: Cancellation,
  ) {
    super();
    if (limit.ms <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => {
        if (this.cancelled) return;
        this.expired = true;
        this.cancel(new Error(limit.exceeded));
      }, limit.ms);
    }
    parent?.onCancel(this.onParentCancelled);
  }

  /** The failure of an attempt that ended with `error`: the limit's own words when it ran out. */
  failure(error: unknown): AttemptFailure {
    return this.expired
      ? { reason: this.reason, backendAtFault: this.limit.backendAtFault }
      : { reason: error, backendAtFault: true };
  }

  clear(): void {
    clearTimeout(this.timer);
    this.parent?.offCancel(this.onParentCancelled);
  }
}
