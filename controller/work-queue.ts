/**
 * A keyed work queue: a key is processed by one worker at a time, a burst of adds for a key
 * collapses into one run (with the state current at that time), and a failed run is retried with
 * capped exponential backoff. Pepr 1.1.4 never retries a failed reconcile, so this does.
 */
export interface QueueOptions {
  concurrency: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Collect keys without running them until `resume()`. */
  startPaused?: boolean;
}

export type KeyHandler = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added again while running: they run once more afterwards. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Keys waiting to be added: a retry's backoff or an `addAfter` delay. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private paused: boolean;

  constructor(
    private readonly handler: KeyHandler,
    private readonly options: QueueOptions,
    private readonly onError: (key: string, error: unknown, attempt: number) => void = () => {},
  ) {
    this.paused = options.startPaused ?? false;
  }

  /** Starts running keys (those added while paused included). */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  /**
   * Adds `key` after `delayMs`, or sooner if it is already due sooner: further calls while it waits
   * never push it back, so a burst of changes within the delay costs one run.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const due = this.timers.get(key)?.due;
    if (due !== undefined && due <= Date.now() + delayMs) return;
    this.schedule(key, delayMs);
  }

  /** How many times `key` has failed in a row. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
    this.notifyIfIdle();
  }

  private isIdle(): boolean {
    return this.pending.length === 0 && this.running.size === 0 && this.timers.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach(resolve => resolve());
  }

  private pump(): void {
    while (!this.paused && this.running.size < this.options.concurrency) {
      const index = this.pending.findIndex(key => !this.running.has(key));
      if (index < 0) return;
      const [key] = this.pending.splice(index, 1);
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.failures.delete(key);
    } catch (error) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      this.onError(key, error, attempt);
      this.retryLater(key, attempt);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      this.notifyIfIdle();
    }
  }

  private retryLater(key: string, attempt: number): void {
    if (this.stopped || this.timers.has(key)) return;
    this.schedule(
      key,
      Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1)),
    );
  }

  private schedule(key: string, delay: number): void {
    clearTimeout(this.timers.get(key)?.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
      this.notifyIfIdle();
    }, delay);
    timer.unref();
    this.timers.set(key, { timer, due: Date.now() + delay });
  }
}
