/**
 * One upstream request's answer as undici's dispatch handler receives it: the status and headers
 * when they arrive, then the body, read whole or chunk by chunk as it comes.
 *
 * Written on undici's handler interface rather than its `request()`, which wraps every answer in a
 * Readable stream and every request in an abort-signal adapter: measured under `run`'s load, that
 * was a sixth of the gateway's CPU per request.
 */
import type { Dispatcher } from "undici";
import { flatHeaders } from "../lib/flat-headers";
import type { Cancellation } from "./cancellation";

/** What comes back: the status and headers, and the body as it arrives. */
export interface UpstreamResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
  /** The whole body, read to its end (instead of iterating `body`). */
  whole(): Promise<Buffer>;
}

/**
 * How much of a body may wait for its reader before the socket is paused: a client that reads a
 * stream slowly holds back its backend, not the gateway's memory.
 */
export const MAX_UNREAD_BYTES = 64 * 1024;

export class UpstreamAnswer implements Dispatcher.DispatchHandler, UpstreamResponse {
  status = 0;
  headers: Record<string, string> = {};
  private controller?: Dispatcher.DispatchController;
  private started = false;
  private readonly chunks: Buffer[] = [];
  private unreadBytes = 0;
  /** `whole()` takes every byte as it comes: nothing is paused for it. */
  private readingWhole = false;
  private ended = false;
  private failure?: Error;
  /** Wakes the reader waiting for the next chunk, the end or a failure. */
  private wake?: () => void;
  private readonly onCancel = (reason: Error) => this.abort(reason);

  /**
   * `settle` gets the answer when its headers arrive, or the error that came first: no connection,
   * no answer, or `cancellation` calling it off.
   */
  constructor(
    private readonly settle: (outcome: { answer: UpstreamAnswer } | { error: Error }) => void,
    private readonly cancellation: Cancellation,
  ) {
    cancellation.onCancel(this.onCancel);
  }

  get body(): AsyncIterable<Uint8Array> {
    return this;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // Informational answers (100 Continue) come before the answer itself.
    if (status < 200 || this.failure) return;
    this.started = true;
    this.status = status;
    this.headers = flatHeaders(headers);
    this.settle({ answer: this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.unreadBytes += chunk.length;
    if (this.unreadBytes > MAX_UNREAD_BYTES && !this.readingWhole) controller.pause();
    this.wake?.();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.cancellation.offCancel(this.onCancel);
    this.wake?.();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  async whole(): Promise<Buffer> {
    this.readingWhole = true;
    this.controller?.resume();
    while (!this.ended && !this.failure) await this.nextEvent();
    if (this.failure) throw this.failure;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        // A failure ends the reading at once, chunks still unread or not: the reader (a client
        // gone, a deadline past) has no use for them.
        if (this.failure) throw this.failure;
        const chunk = this.chunks.shift();
        if (chunk) {
          this.unreadBytes -= chunk.length;
          if (this.unreadBytes <= MAX_UNREAD_BYTES) this.controller?.resume();
          yield chunk;
        } else if (this.ended) {
          return;
        } else {
          await this.nextEvent();
        }
      }
    } finally {
      // A reader that stops early (its client went away) leaves nothing open upstream.
      if (!this.ended) this.abort(new Error("the answer was left unread"));
    }
  }

  private nextEvent(): Promise<void> {
    return new Promise(resolve => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Ends the request with `reason`: before it was sent, or while its answer arrives. */
  private abort(reason: Error): void {
    if (this.ended || this.failure) return;
    if (this.controller) this.controller.abort(reason);
    // Not sent yet (waiting for a connection): it is not sent when its turn comes, and the caller
    // learns now rather than when a connection frees.
    else this.fail(reason);
  }

  private fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.chunks.length = 0;
    this.unreadBytes = 0;
    this.cancellation.offCancel(this.onCancel);
    if (!this.started) this.settle({ error });
    this.wake?.();
  }
}
