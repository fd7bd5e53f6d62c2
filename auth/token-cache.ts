/**
 * One caching mechanism for every fetched credential (Azure and GCP access tokens, AWS session
 * credentials from STS, federation assertions). Once warm, `get()` answers from memory: a refresh
 * starts in the background ahead of expiry, only one fetch is ever in flight, and a failed refresh
 * keeps the still-valid value in service while recording the error for status.
 *
 * Failed fetches back off: for `retryDelayMs` after a failure no request starts another fetch.
 * Requests that find no valid credential in that window fail at once with the last (sanitised)
 * error instead of each waiting on an endpoint that is down; a timer retries when the window ends.
 */
import type { Logger } from "winston";
import { Clock, systemClock } from "./clock";
import { AuthError, describeFailure } from "./errors";

/** What a fetch returns: the credential and how long it stays valid from now. */
export interface FetchedToken<T> {
  value: T;
  expiresInMs: number;
}

export interface TokenCacheOptions {
  /** What the cache holds, for logs and errors (e.g. `azure access token`). Never a secret. */
  name: string;
  clock?: Clock;
  logger?: Logger;
  /** Refresh this long before expiry (capped at half the lifetime). Default 5 minutes. */
  refreshAheadMs?: number;
  /** Wait this long after a failed fetch before the next attempt. Default 10 seconds. */
  retryDelayMs?: number;
  /**
   * A fetch with no answer after this long fails (and is retried after `retryDelayMs`). Default 60
   * seconds: past the longest chain of our own calls (GCP federation with impersonation makes up
   * to four, OIDC discovery included, of 10 s each at most), so their errors, which say more, come first; this bounds the
   * calls a library makes its own way (cloud SDKs' credential chains), which would otherwise leave
   * every request of the backend waiting on one hung fetch. The hung call itself is left to its
   * library: there is no signal to pass it.
   */
  fetchTimeoutMs?: number;
  /**
   * `background` (default): timers refresh ahead of expiry and retry after a failure, so an idle
   * backend stays warm. `on-demand`: no timers; a value due for refresh is fetched again only when
   * `get()` asks, and `get()` waits for it (falling back to the still-valid value if that fetch
   * fails). For values only another fetch consumes, such as a federated client assertion: a timer
   * would call their provider when nothing needs them.
   */
  refresh?: "background" | "on-demand";
}

const FIVE_MINUTES = 5 * 60_000;
const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
/** Shorter-lived credentials are rejected: they could not serve even one refresh cycle. */
const MIN_LIFETIME_MS = 1_000;

interface Cached<T> {
  value: T;
  expiresAt: number;
  refreshAt: number;
}

/** A self-refreshing cache of one credential. */
export class TokenCache<T> {
  private cached: Cached<T> | undefined;
  private inFlight: Promise<T> | undefined;
  /** `<name>: <failure>` of the last failed fetch, for status; cleared by a success. */
  private error: string | undefined;
  /** The sanitised failure of the last fetch, for requests refused inside the back-off window. */
  private failure: string | undefined;
  /** No fetch starts before this time (the back-off window after a failure). */
  private nextAttemptAt = 0;
  private cancelTimer: (() => void) | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly refreshAheadMs: number;
  private readonly retryDelayMs: number;
  private readonly onDemand: boolean;

  constructor(
    private readonly fetchToken: () => Promise<FetchedToken<T>>,
    private readonly options: TokenCacheOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.refreshAheadMs = options.refreshAheadMs ?? FIVE_MINUTES;
    this.retryDelayMs = options.retryDelayMs ?? 10_000;
    this.onDemand = options.refresh === "on-demand";
  }

  /**
   * The current credential. Resolves at once while a valid one is cached (starting a background
   * refresh when it is due); awaits a fetch only when nothing valid is cached, joining the one in
   * flight if there is one. Rejects with an `AuthError` (`TOKEN_UNAVAILABLE`) when that fetch
   * fails, and at once, without fetching, inside the back-off window after a failure.
   */
  get(): Promise<T> {
    if (this.closed) return Promise.reject(new AuthError("CLOSED", `${this.options.name}: closed`));
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now < cached.expiresAt) {
      if (now < cached.refreshAt || now < this.nextAttemptAt) return Promise.resolve(cached.value);
      if (!this.onDemand) {
        void this.refresh().catch(noop);
        return Promise.resolve(cached.value);
      }
      // On demand: wait for the fresh value, but a failed refresh still leaves a valid one.
      return this.refresh().catch((error: unknown) => {
        const still = this.peek();
        if (still !== undefined) return still;
        throw this.unavailable(describeFailure(error));
      });
    }
    if (!this.inFlight && now < this.nextAttemptAt) {
      return Promise.reject(this.unavailable(this.failure ?? "unknown error"));
    }
    return this.refresh().catch((error: unknown) => {
      throw this.unavailable(describeFailure(error));
    });
  }

  /** The cached credential if it is still valid, without ever fetching. */
  peek(): T | undefined {
    const cached = this.cached;
    return cached && this.clock.now() < cached.expiresAt ? cached.value : undefined;
  }

  /** Fetches now unless a valid credential is cached; rejects if that fetch fails. */
  async warm(): Promise<void> {
    if (this.peek() === undefined) await this.get();
  }

  /** The message of the last failed fetch, cleared by the next success. Safe for status. */
  lastError(): string | undefined {
    return this.error;
  }

  /** Stops background refreshes; later `get()` calls reject. */
  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cached = undefined;
  }

  private unavailable(failure: string): AuthError {
    return new AuthError("TOKEN_UNAVAILABLE", `${this.options.name} unavailable: ${failure}`);
  }

  /** Starts a fetch, or joins the one in flight (single-flight). */
  private refresh(): Promise<T> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchOnce(): Promise<T> {
    const { name, logger } = this.options;
    try {
      const fetched = await this.withinFetchTimeout(this.fetchToken());
      const now = this.clock.now();
      const lifetime = fetched.expiresInMs;
      // A credential that is already (or about to be) expired would make every request and the
      // refresh timer fetch again at once: treat it as a failed fetch, retried after the delay.
      if (!(lifetime >= MIN_LIFETIME_MS)) {
        throw new AuthError("TOKEN_RESPONSE_INVALID", "credential expires immediately");
      }
      const ahead = Math.min(this.refreshAheadMs, lifetime / 2);
      if (!this.closed) {
        this.cached = {
          value: fetched.value,
          expiresAt: now + lifetime,
          refreshAt: now + lifetime - ahead,
        };
        this.error = undefined;
        this.failure = undefined;
        this.nextAttemptAt = 0;
        this.schedule(lifetime - ahead);
      }
      logger?.debug("credential refreshed", { credential: name, expiresInMs: lifetime });
      return fetched.value;
    } catch (error) {
      // Only the sanitised description is kept or logged: the error itself may carry secrets.
      this.failure = describeFailure(error);
      this.error = `${name}: ${this.failure}`;
      this.nextAttemptAt = this.clock.now() + this.retryDelayMs;
      logger?.warn("credential refresh failed", {
        credential: name,
        error: this.error,
        retryInMs: this.retryDelayMs,
      });
      // Retry when the window ends, whether or not a valid value is still held: a backend whose
      // first fetch failed recovers without waiting for a request to notice.
      if (!this.closed) this.schedule(this.retryDelayMs);
      throw error;
    }
  }

  /**
   * `fetch`, or a failure once the fetch timeout passes; a late answer is dropped. Timed on the
   * real clock: the injected one dates credentials, while a fetch waits on a network.
   */
  private withinFetchTimeout<V>(fetch: Promise<V>): Promise<V> {
    const timeoutMs = this.options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new AuthError("TOKEN_ENDPOINT_FAILED", `no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      timer.unref();
    });
    // The race handles the hung fetch's late rejection, if it comes: it is not unhandled.
    return Promise.race([fetch, expired]).finally(() => clearTimeout(timer));
  }

  /** Keeps an idle backend warm: refresh on a timer, not only when a request notices. */
  private schedule(delayMs: number): void {
    if (this.onDemand) return;
    this.cancelTimer?.();
    this.cancelTimer = this.clock.schedule(delayMs, () => {
      this.cancelTimer = undefined;
      if (!this.closed) void this.refresh().catch(noop);
    });
  }
}

function noop(): void {}
