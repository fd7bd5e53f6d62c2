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

  it("rejects with TOKEN_UNAVAILABLE once the token has expired and the fetch fails", async () => {
    const { source, cache, clock } = newCache();
    const first = cache.get();
    source.answer("t1", 10 * MINUTE);
    await first;
    cache.close(); // no background refresh: let it expire
    const reopened = new TokenCache(source.fetch, { name: "test token", clock });
    const attempt = reopened.get();
    source.fail(Object.assign(new Error("x"), { code: "ECONNREFUSED" }));
    await expect(attempt).rejects.toEqual(
      new AuthError("TOKEN_UNAVAILABLE", "test token unavailable: ECONNREFUSED"),
    );
    expect(reopened.lastError()).toBe("test token: ECONNREFUSED");
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
