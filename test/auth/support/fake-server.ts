/** Loopback HTTP(S) servers that stand in for token endpoints and providers in tests. */
import {
  createServer as createHttpServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** A request as the fake received it, body included. */
export interface ReceivedRequest {
  method: string;
  /** The raw request target: path and query exactly as sent. */
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export type FakeHandler = (
  request: ReceivedRequest,
  response: ServerResponse,
) => void | Promise<void>;

export interface FakeServer {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with an ephemeral port; pass `tls` for https. */
export async function startFakeServer(
  handler: FakeHandler,
  tls?: { key: string; cert: string },
): Promise<FakeServer> {
  const requests: ReceivedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(received);
      Promise.resolve(handler(received, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status. */
export function sendJSON(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** The form fields of an `application/x-www-form-urlencoded` body. */
export function formOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body.toString("utf8")));
}

/** Polls `check` until it returns a value (for background refreshes that go over real HTTP). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/**
 * Holds a fake's answers until `open()`: a test can act while a fetch is in flight (the request is
 * already recorded, the answer not yet sent).
 */
export class Gate {
  readonly opened: Promise<void>;
  private release: () => void = () => {};

  constructor() {
    this.opened = new Promise(resolve => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release();
  }
}
