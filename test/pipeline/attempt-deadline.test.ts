import { AttemptDeadline } from "../../pipeline/attempt-deadline";
import { Cancellation } from "../../pipeline/cancellation";

const limit = (ms: number, backendAtFault = true) => ({
  ms,
  exceeded: `no answer within ${ms} ms`,
  backendAtFault,
});

const cancelled = (cancellation: Cancellation) =>
  new Promise<Error>(resolve => cancellation.onCancel(resolve));

describe("Cancellation", () => {
  it("calls each listener once, in order, with the reason", () => {
    const cancellation = new Cancellation();
    const heard: string[] = [];
    cancellation.onCancel(reason => heard.push(`first: ${reason.message}`));
    cancellation.onCancel(reason => heard.push(`second: ${reason.message}`));
    cancellation.cancel(new Error("gone"));
    cancellation.cancel(new Error("gone again"));
    expect(heard).toEqual(["first: gone", "second: gone"]);
    expect(cancellation.cancelled).toBe(true);
    expect(cancellation.reason).toEqual(new Error("gone"));
  });

  it("calls a listener added after the cancel at once", () => {
    const cancellation = new Cancellation();
    cancellation.cancel(new Error("gone"));
    const heard: Error[] = [];
    cancellation.onCancel(reason => heard.push(reason));
    expect(heard).toEqual([new Error("gone")]);
  });

  it("no longer calls a listener taken off", () => {
    const cancellation = new Cancellation();
    const heard: string[] = [];
    const first = () => heard.push("first");
    cancellation.onCancel(first);
    cancellation.onCancel(() => heard.push("second"));
    cancellation.offCancel(first);
    cancellation.offCancel(first);
    cancellation.cancel(new Error("gone"));
    expect(heard).toEqual(["second"]);
  });

  it("is not cancelled and has no reason until it is", () => {
    const cancellation = new Cancellation();
    expect(cancellation.cancelled).toBe(false);
    expect(cancellation.reason).toBeUndefined();
  });
});

describe("AttemptDeadline", () => {
  it("is cancelled when the limit runs out, and says which limit it was", async () => {
    const deadline = new AttemptDeadline(limit(5, false));
    expect(await cancelled(deadline)).toEqual(new Error("no answer within 5 ms"));
    expect(deadline.failure(new Error("aborted"))).toEqual({
      reason: new Error("no answer within 5 ms"),
      backendAtFault: false,
    });
    deadline.clear();
  });

  it("is cancelled when the client goes away, and passes the attempt's own error on", async () => {
    const client = new Cancellation();
    const deadline = new AttemptDeadline(limit(60_000, false), client);
    client.cancel(new Error("the client went away"));
    expect(deadline.reason).toEqual(new Error("the client went away"));
    const error = new Error("socket hang up");
    expect(deadline.failure(error)).toEqual({ reason: error, backendAtFault: true });
    deadline.clear();
  });

  it("starts cancelled for a client already gone", () => {
    const client = new Cancellation();
    client.cancel(new Error("the client went away"));
    const deadline = new AttemptDeadline(limit(60_000), client);
    expect(deadline.cancelled).toBe(true);
    expect(deadline.reason).toEqual(new Error("the client went away"));
    deadline.clear();
  });

  it("clear() stops the timer and lets go of the client's cancellation", async () => {
    const client = new Cancellation();
    const deadline = new AttemptDeadline(limit(5), client);
    deadline.clear();
    client.cancel(new Error("the client went away"));
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(deadline.cancelled).toBe(false);
  });

  it("sets no timer for a limit longer than a timer can wait (Node would fire it at once)", async () => {
    const deadline = new AttemptDeadline(limit(1_000 * 60 * 60 * 1_000));
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(deadline.cancelled).toBe(false);
    deadline.clear();
  });
});
