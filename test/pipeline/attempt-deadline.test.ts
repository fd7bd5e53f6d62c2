import { AttemptDeadline } from "../../pipeline/attempt-deadline";

const limit = (ms: number, backendAtFault = true) => ({
  ms,
  exceeded: `no answer within ${ms} ms`,
  backendAtFault,
});

const aborted = (signal: AbortSignal) =>
  new Promise(resolve => signal.addEventListener("abort", resolve, { once: true }));

describe("AttemptDeadline", () => {
  it("aborts when the limit runs out, and says which limit it was", async () => {
    const deadline = new AttemptDeadline(limit(5, false));
    await aborted(deadline.signal);
    expect(deadline.failure(new Error("This operation was aborted"))).toEqual({
      reason: new Error("no answer within 5 ms"),
      backendAtFault: false,
    });
    deadline.clear();
  });

  it("aborts when the client goes away, and passes the attempt's own error on", async () => {
    const client = new AbortController();
    const deadline = new AttemptDeadline(limit(60_000), client.signal);
    client.abort();
    expect(deadline.signal.aborted).toBe(true);
    const error = new Error("socket hang up");
    expect(deadline.failure(error)).toEqual({ reason: error, backendAtFault: true });
    deadline.clear();
  });

  it("starts aborted for a client already gone", () => {
    const client = new AbortController();
    client.abort();
    const deadline = new AttemptDeadline(limit(60_000), client.signal);
    expect(deadline.signal.aborted).toBe(true);
    deadline.clear();
  });

  it("clear() stops the timer and lets go of the client's signal", async () => {
    const client = new AbortController();
    const deadline = new AttemptDeadline(limit(5), client.signal);
    deadline.clear();
    client.abort();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(deadline.signal.aborted).toBe(false);
  });

  it("sets no timer for a limit longer than a timer can wait (Node would fire it at once)", async () => {
    const deadline = new AttemptDeadline(limit(1_000 * 60 * 60 * 1_000));
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(deadline.signal.aborted).toBe(false);
    deadline.clear();
  });
});
