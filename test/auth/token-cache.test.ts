import { AuthError } from "../../auth/errors";
import { FetchedToken, TokenCache } from "../../auth/token-cache";
import { ManualClock } from "./support/manual-clock";

const MINUTE = 60_000;

/** A fetch the test resolves or rejects by hand, counting calls. */
function controlledFetch() {
  const pending: Array<{
    resolve: (token: FetchedToken<string>) => void;
    reject: (error: unknown) => void;
  }> = [];
  const fetch = jest.fn(
    () => new Promise<FetchedToken<string>>((resolve, reject) => pending.push({ resolve, reject })),
  );
  return {
    fetch,
    pending,
    /** Settles the oldest outstanding fetch. */
    answer(value: string, expiresInMs = 60 * MINUTE) {
      pending.shift()!.resolve({ value, expiresInMs });
    },
    fail(error: unknown) {
      pending.shift()!.reject(error);
    },
  };
}

/** Lets settled promises run their continuations. */
const settle = () => new Promise(resolve => setImmediate(resolve));

function newCache(options: { retryDelayMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const source = controlledFetch();
  const cache = new TokenCache(source.fetch, { name: "test token", clock, ...options });
  return { clock, source, cache };
}

describe("TokenCache", () => {
  it("fetches once for many concurrent first requests (single flight)", async () => {
    const { source, cache } = newCache();
    const requests = Array.from({ length: 50 }, () => cache.get());
    expect(source.fetch).toHaveBeenCalledTimes(1);
    source.answer("t1");
    await expect(Promise.all(requests)).resolves.toEqual(Array(50).fill("t1"));
  });

  it("answers from memory once warm, without calling fetch", async () => {
    const { source, cache, clock } = newCache();
    const warming = cache.warm();
    source.answer("t1");
    await warming;
    clock.advance(10 * MINUTE);
    expect(cache.peek()).toBe("t1");
    await expect(cache.get()).resolves.toBe("t1");
    expect(source.fetch).toHaveBeenCalledTimes(1);
  });

  it("refreshes in the background 5 minutes before expiry; requests keep the old token meanwhile", async () => {
    const { source, cache, clock } = newCache();
    const first = cache.get();
    source.answer("t1", 60 * MINUTE);
    await first;
    clock.advance(54 * MINUTE);
    expect(source.fetch).toHaveBeenCalledTimes(1);
    clock.advance(1 * MINUTE); // the refresh timer fires at expiry - 5 min
    expect(source.fetch).toHaveBeenCalledTimes(2);
    // Concurrent requests during the refresh: answered at once with the valid token, no new fetch.
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(during).toEqual(Array(20).fill("t1"));
    expect(source.fetch).toHaveBeenCalledTimes(2);
    source.answer("t2", 60 * MINUTE);
    await settle();
    await expect(cache.get()).resolves.toBe("t2");
  });

  it("caps the refresh lead at half the lifetime of a short-lived token", async () => {
    const { source, cache, clock } = newCache();
    const first = cache.get();
    source.answer("t1", 10 * MINUTE); // short lifetime: refresh ahead is capped at half of it
    await first;
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(5 * MINUTE);
    expect(source.fetch).toHaveBeenCalledTimes(2);
    await expect(cache.get()).resolves.toBe("t1");
    expect(source.fetch).toHaveBeenCalledTimes(2);
  });

  it("keeps serving a valid token when a refresh fails, reports the error, and retries later", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 30_000 });
    const first = cache.get();
    source.answer("t1", 60 * MINUTE);
    await first;
    clock.advance(55 * MINUTE);
    source.fail(Object.assign(new Error("body with secret"), { status: 503 }));
    await settle();
    expect(cache.lastError()).toBe("test token: HTTP 503 Error");
    await expect(cache.get()).resolves.toBe("t1");
    // No retry storm: requests inside the retry delay do not fetch again.
    await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(source.fetch).toHaveBeenCalledTimes(2);
    clock.advance(30_000); // the retry timer
    expect(source.fetch).toHaveBeenCalledTimes(3);
    source.answer("t2");
    await settle();
    expect(cache.lastError()).toBeUndefined();
    await expect(cache.get()).resolves.toBe("t2");
  });

  it("rejects with TOKEN_UNAVAILABLE once a held token has expired and the fetch fails", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 30_000 });
    const first = cache.get();
    source.answer("t1", 10 * MINUTE);
    await expect(first).resolves.toBe("t1");
    clock.advance(5 * MINUTE); // the refresh timer (half the lifetime) starts a fetch
    expect(source.fetch).toHaveBeenCalledTimes(2);
    clock.advance(5 * MINUTE); // t1 expires while that fetch is still pending
    expect(cache.peek()).toBeUndefined();
    const attempt = cache.get(); // joins the pending fetch instead of serving t1
    expect(source.fetch).toHaveBeenCalledTimes(2);
    source.fail(Object.assign(new Error("answer quoting a secret"), { code: "ECONNREFUSED" }));
    await expect(attempt).rejects.toEqual(
      new AuthError("TOKEN_UNAVAILABLE", "test token unavailable: ECONNREFUSED"),
    );
    expect(cache.lastError()).toBe("test token: ECONNREFUSED");
  });

  it("a held token that expires inside the back-off window fails fast, without a fetch", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 10 * MINUTE });
    const first = cache.get();
    source.answer("t1", 10 * MINUTE);
    await first;
    clock.advance(5 * MINUTE);
    source.fail(Object.assign(new Error("x"), { status: 503 }));
    await settle();
    await expect(cache.get()).resolves.toBe("t1"); // still valid: served
    clock.advance(5 * MINUTE + 1); // expired; the retry is due only at 15 min
    await expect(cache.get()).rejects.toEqual(
      new AuthError("TOKEN_UNAVAILABLE", "test token unavailable: HTTP 503 Error"),
    );
    expect(source.fetch).toHaveBeenCalledTimes(2);
    clock.advance(5 * MINUTE); // the retry timer
    expect(source.fetch).toHaveBeenCalledTimes(3);
    source.answer("t2");
    await settle();
    await expect(cache.get()).resolves.toBe("t2");
  });

  it("an expired token is never served", async () => {
    const { source, cache, clock } = newCache();
    const first = cache.get();
    source.answer("t1", 10 * MINUTE);
    await first;
    clock.advance(5 * MINUTE); // refresh starts and stays pending
    clock.advance(5 * MINUTE); // now expired
    expect(cache.peek()).toBeUndefined();
    const next = cache.get();
    expect(source.fetch).toHaveBeenCalledTimes(2); // joins the refresh in flight
    source.answer("t2");
    await expect(next).resolves.toBe("t2");
  });

  it("treats an already-expired credential as a failed fetch instead of refetching in a loop", async () => {
    const { source, cache } = newCache();
    const first = cache.get();
    source.answer("stale", 0);
    await expect(first).rejects.toMatchObject({ code: "TOKEN_UNAVAILABLE" });
    expect(cache.lastError()).toBe("test token: credential expires immediately");
    expect(source.fetch).toHaveBeenCalledTimes(1);
  });

  it("close() cancels the refresh timer and rejects later requests", async () => {
    const { source, cache, clock } = newCache();
    const first = cache.get();
    source.answer("t1");
    await first;
    cache.close();
    expect(clock.pendingTimers()).toBe(0);
    await expect(cache.get()).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("TokenCache back-off while the endpoint is down", () => {
  const down = () => Object.assign(new Error("body echoing a secret"), { code: "ECONNREFUSED" });
  const refusal = new AuthError("TOKEN_UNAVAILABLE", "test token unavailable: ECONNREFUSED");

  it("fails fast inside the window after a failed first fetch, then a timer retries once", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 30_000 });
    const first = cache.get();
    source.fail(down());
    await expect(first).rejects.toEqual(refusal);
    expect(clock.pendingTimers()).toBe(1); // the retry

    clock.advance(10_000);
    const refused = await Promise.allSettled(Array.from({ length: 20 }, () => cache.get()));
    expect(refused).toEqual(Array(20).fill({ status: "rejected", reason: refusal }));
    await expect(cache.warm()).rejects.toEqual(refusal);
    expect(source.fetch).toHaveBeenCalledTimes(1); // none of them fetched

    clock.advance(20_000); // the window ends: the scheduled retry fetches
    expect(source.fetch).toHaveBeenCalledTimes(2);
    const joined = Array.from({ length: 10 }, () => cache.get());
    expect(source.fetch).toHaveBeenCalledTimes(2); // requests join the retry in flight
    source.answer("t1");
    await expect(Promise.all(joined)).resolves.toEqual(Array(10).fill("t1"));
    expect(cache.lastError()).toBeUndefined();
  });

  it("each failed retry opens a new window and schedules the next retry", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 30_000 });
    const first = cache.get();
    source.fail(down());
    await first.catch(() => undefined);
    for (let attempt = 2; attempt <= 4; attempt++) {
      clock.advance(30_000);
      expect(source.fetch).toHaveBeenCalledTimes(attempt);
      source.fail(down());
      await settle();
      await expect(cache.get()).rejects.toEqual(refusal);
      expect(source.fetch).toHaveBeenCalledTimes(attempt);
      expect(clock.pendingTimers()).toBe(1);
    }
  });

  it("concurrent requests after the window, before the timer, start exactly one fetch", async () => {
    const clock = new ManualClock(1_000_000);
    const source = controlledFetch();
    // A clock whose timers never fire: only requests can start fetches.
    const frozen = { now: () => clock.now(), schedule: () => () => {} };
    const cache = new TokenCache(source.fetch, {
      name: "test token",
      clock: frozen,
      retryDelayMs: 30_000,
    });
    const first = cache.get();
    source.fail(down());
    await first.catch(() => undefined);
    clock.advance(30_000);
    const requests = Array.from({ length: 25 }, () => cache.get());
    expect(source.fetch).toHaveBeenCalledTimes(2);
    source.answer("t1");
    await expect(Promise.all(requests)).resolves.toEqual(Array(25).fill("t1"));
  });

  it("close() cancels a scheduled retry", async () => {
    const { source, cache, clock } = newCache({ retryDelayMs: 30_000 });
    const first = cache.get();
    source.fail(down());
    await first.catch(() => undefined);
    cache.close();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    expect(source.fetch).toHaveBeenCalledTimes(1);
  });
});

describe("TokenCache on demand (no timers)", () => {
  function onDemandCache() {
    const clock = new ManualClock(1_000_000);
    const source = controlledFetch();
    const cache = new TokenCache(source.fetch, {
      name: "assertion",
      clock,
      refresh: "on-demand",
      retryDelayMs: 30_000,
    });
    return { clock, source, cache };
  }

  it("fetches only when asked: a value due for refresh is fetched again and awaited", async () => {
    const { clock, source, cache } = onDemandCache();
    const first = cache.get();
    source.answer("a1", 10 * MINUTE);
    await expect(first).resolves.toBe("a1");
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(4 * MINUTE);
    await expect(cache.get()).resolves.toBe("a1");
    clock.advance(20 * MINUTE); // long past due and expired: still nothing fetched on its own
    expect(source.fetch).toHaveBeenCalledTimes(1);
    const next = cache.get();
    expect(source.fetch).toHaveBeenCalledTimes(2);
    source.answer("a2", 10 * MINUTE);
    await expect(next).resolves.toBe("a2");
  });

  it("a due value whose refresh fails is still served until it expires", async () => {
    const { clock, source, cache } = onDemandCache();
    const first = cache.get();
    source.answer("a1", 10 * MINUTE);
    await first;
    clock.advance(6 * MINUTE); // due (refresh point at half the lifetime), still valid
    const due = cache.get();
    source.fail(Object.assign(new Error("x"), { status: 500 }));
    await expect(due).resolves.toBe("a1");
    expect(cache.lastError()).toBe("assertion: HTTP 500 Error");
    await expect(cache.get()).resolves.toBe("a1"); // inside the back-off window: no fetch
    expect(source.fetch).toHaveBeenCalledTimes(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("TokenCache with a fetch that never answers", () => {
  it("fails it after the fetch timeout, so requests stop waiting, then retries after the delay", async () => {
    const clock = new ManualClock(1_000_000);
    const source = controlledFetch();
    const cache = new TokenCache(source.fetch, {
      name: "test token",
      clock,
      retryDelayMs: MINUTE,
      fetchTimeoutMs: 20,
    });
    const unavailable = new AuthError(
      "TOKEN_UNAVAILABLE",
      "test token unavailable: no answer within 0.02 s",
    );
    await expect(Promise.all([cache.get(), cache.get()])).rejects.toEqual(unavailable);
    expect(cache.lastError()).toBe("test token: no answer within 0.02 s");
    // Inside the back-off window, at once and without another fetch.
    await expect(cache.get()).rejects.toEqual(unavailable);
    expect(source.fetch).toHaveBeenCalledTimes(1);
    // The hung fetch answering late is not taken, nor is its failure unhandled: the retry decides.
    source.answer("late");
    await settle();
    expect(cache.peek()).toBeUndefined();
    clock.advance(MINUTE);
    expect(source.fetch).toHaveBeenCalledTimes(2);
    source.answer("t2");
    await expect(cache.get()).resolves.toBe("t2");
    cache.close();
  });

  it("drops a late failure of the fetch it gave up on", async () => {
    const source = controlledFetch();
    const cache = new TokenCache(source.fetch, {
      name: "test token",
      clock: new ManualClock(1_000_000),
      fetchTimeoutMs: 20,
    });
    await expect(cache.get()).rejects.toThrow("no answer within 0.02 s");
    // Jest fails the test by itself if this late failure goes unhandled.
    source.fail(new Error("late"));
    await settle();
    expect(cache.lastError()).toBe("test token: no answer within 0.02 s");
    cache.close();
  });
});
