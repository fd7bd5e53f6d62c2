/**
 * Which backends failed recently (a 5xx, a 429, a connection that failed), so that selection prefers
 * the others for a cool-down. Shared by every request of the process; in memory only.
 */
export interface BackendHealthOptions {
  /** How long a failed backend is passed over. Default 10 s. */
  coolDownMs?: number;
  /** Milliseconds since the epoch; tests inject their own. */
  now?: () => number;
}

export class BackendHealth {
  private readonly failedAt = new Map<string, number>();
  private readonly coolDownMs: number;
  private readonly now: () => number;

  constructor(options: BackendHealthOptions = {}) {
    this.coolDownMs = options.coolDownMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  recordFailure(backendId: string): void {
    this.failedAt.set(backendId, this.now());
  }

  recordSuccess(backendId: string): void {
    this.failedAt.delete(backendId);
  }

  /** Whether the backend failed within the cool-down. */
  isCoolingDown(backendId: string): boolean {
    const at = this.failedAt.get(backendId);
    if (at === undefined) return false;
    if (this.now() - at < this.coolDownMs) return true;
    this.failedAt.delete(backendId);
    return false;
  }
}

/** Upstream statuses that say the backend cannot serve now, so another one should. */
export const isBackendFailure = (status: number) => status === 429 || status >= 500;
