/**
 * Work that may be called off: a request whose client went away, an attempt whose time ran out.
 * The request path's AbortSignal. Node's AbortController is an EventTarget, and one per request and
 * per attempt, with their listeners, took a twentieth of `run`'s CPU under load; this is a flag, a
 * reason and a short list of callbacks.
 */
type CancelListener = (reason: Error) => void;

export class Cancellation {
  private cancelReason?: Error;
  private listeners?: CancelListener[];

  get cancelled(): boolean {
    return this.cancelReason !== undefined;
  }

  /** Why it was cancelled; undefined until it is. */
  get reason(): Error | undefined {
    return this.cancelReason;
  }

  /** Calls every listener once, in the order they were added; later calls do nothing. */
  cancel(reason: Error): void {
    if (this.cancelReason) return;
    this.cancelReason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener(reason);
  }

  /** Calls `listener` when this is cancelled: at once if it already is. */
  onCancel(listener: CancelListener): void {
    if (this.cancelReason) listener(this.cancelReason);
    else (this.listeners ??= []).push(listener);
  }

  /** Stops calling `listener`: the work it would call off has ended. */
  offCancel(listener: CancelListener): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.listeners!.splice(index, 1);
  }
}
