/**
 * The loopback server every fake provider runs on: it records each request, routes it with the
 * provider module, checks credentials, applies the behaviour a test set, and writes the reply the
 * way a provider does (a stream in several writes with pauses, so a client really reads it in
 * pieces).
 */
import type { ServerResponse } from "node:http";
import { createGzip, gzipSync } from "node:zlib";
import { startFakeServer, type ReceivedRequest } from "../../auth/support/fake-server";
import type {
  FakeBehaviour,
  FakeProvider,
  FakeProviderKind,
  FakeProviderRequest,
  ProviderModule,
  ProviderReply,
  ResolvedOptions,
} from "./types";

const delay = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The parsed JSON of a body, or undefined: a malformed body is the module's to reject. */
function parseJSON(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Behaviours in force: one set by a test, for a number of requests or until changed. */
class BehaviourSchedule {
  private current: FakeBehaviour = "normal";
  private remaining = Infinity;

  set(behaviour: FakeBehaviour, times = Infinity): void {
    this.current = behaviour;
    this.remaining = times;
  }

  /** The behaviour for the next request, counting it against `times`. */
  take(): FakeBehaviour {
    if (this.remaining <= 0) this.set("normal");
    this.remaining--;
    return this.current;
  }
}

export async function startProviderServer(
  kind: FakeProviderKind,
  provider: ProviderModule,
  options: ResolvedOptions,
): Promise<FakeProvider> {
  const requests: FakeProviderRequest[] = [];
  const schedule = new BehaviourSchedule();
  let sequence = 0;

  const handle = async (received: ReceivedRequest, response: ServerResponse): Promise<void> => {
    const request: FakeProviderRequest = {
      method: received.method,
      url: received.url,
      headers: received.headers,
      body: parseJSON(received.body),
      rawBody: received.body,
    };
    requests.push(request);
    const queryStart = received.url.indexOf("?");
    const path = queryStart < 0 ? received.url : received.url.slice(0, queryStart);
    const query = new URLSearchParams(queryStart < 0 ? "" : received.url.slice(queryStart + 1));

    const call = provider.route(received.method, path, query);
    if (!call) return writeReply(response, provider.notFound(received.method, path), options);
    request.call = call;
    const denied = options.checkAuth ? provider.authenticate(request, options) : undefined;
    if (denied) return writeReply(response, denied, options);

    const behaviour = schedule.take();
    if (behaviour === "hang") return; // close() ends the connection.
    if (behaviour === "drop") {
      response.socket?.destroy();
      return;
    }
    if (typeof behaviour === "object") {
      const native = provider.error(behaviour.status, behaviour);
      const reply: ProviderReply =
        behaviour.body === undefined
          ? native
          : { ...native, pieces: [bodyBytes(behaviour.body)], stream: false };
      return writeReply(
        response,
        { ...reply, headers: { ...reply.headers, ...behaviour.headers } },
        options,
      );
    }

    const reply = provider.answer({ call, request, path, query, sequence: ++sequence }, options);
    if (behaviour === "garbage" && reply.status === 200) {
      return writeReply(response, { ...reply, pieces: [provider.garbage(reply)] }, options);
    }
    if (behaviour === "gzip") return writeGzipped(response, reply, options);
    if (behaviour === "dropMidStream") return writeHalfThenDrop(response, reply, options);
    return writeReply(response, reply, options);
  };

  const server = await startFakeServer(handle);
  const { hostname, port } = new URL(server.url);
  return {
    kind,
    url: server.url,
    host: hostname,
    port: Number(port),
    requests,
    setBehaviour: (behaviour, behaviourOptions) => schedule.set(behaviour, behaviourOptions?.times),
    close: () => server.close(),
  };
}

function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
}

/** The writes of a stream: one per event, or cut every `chunkBytes` when the test asks for it. */
function writesOf(reply: ProviderReply, options: ResolvedOptions): Buffer[] {
  if (!reply.stream || !options.chunkBytes) return reply.pieces;
  const all = Buffer.concat(reply.pieces);
  const writes: Buffer[] = [];
  for (let start = 0; start < all.length; start += options.chunkBytes) {
    writes.push(all.subarray(start, start + options.chunkBytes));
  }
  return writes;
}

/** Complete bodies go with a content length; streams go chunked, a pause between writes. */
async function writeReply(
  response: ServerResponse,
  reply: ProviderReply,
  options: ResolvedOptions,
): Promise<void> {
  if (!reply.stream) {
    const body = Buffer.concat(reply.pieces);
    response.writeHead(reply.status, { ...reply.headers, "content-length": String(body.length) });
    response.end(body);
    return;
  }
  response.writeHead(reply.status, reply.headers);
  response.flushHeaders();
  for (const piece of writesOf(reply, options)) {
    if (response.destroyed) return;
    response.write(piece);
    await delay(options.chunkDelayMs);
  }
  response.end();
}

async function writeGzipped(
  response: ServerResponse,
  reply: ProviderReply,
  options: ResolvedOptions,
): Promise<void> {
  const headers = { ...reply.headers, "content-encoding": "gzip" };
  if (!reply.stream) {
    const body = gzipSync(Buffer.concat(reply.pieces));
    response.writeHead(reply.status, { ...headers, "content-length": String(body.length) });
    response.end(body);
    return;
  }
  // A stream is flushed after every write so that each piece reaches the client when sent.
  response.writeHead(reply.status, headers);
  const gzip = createGzip();
  gzip.pipe(response);
  for (const piece of writesOf(reply, options)) {
    if (response.destroyed) return;
    gzip.write(piece);
    await new Promise<void>(resolve => gzip.flush(() => resolve()));
    await delay(options.chunkDelayMs);
  }
  gzip.end();
}

/**
 * Sends about half the body, then destroys the socket: a stream cut after some events, or a plain
 * body shorter than its content length, so the client sees the connection fail mid-answer.
 */
async function writeHalfThenDrop(
  response: ServerResponse,
  reply: ProviderReply,
  options: ResolvedOptions,
): Promise<void> {
  const body = Buffer.concat(reply.pieces);
  const all = writesOf(reply, options);
  const writes = reply.stream
    ? all.slice(0, Math.ceil(all.length / 2))
    : [body.subarray(0, Math.floor(body.length / 2))];
  const headers = reply.stream
    ? reply.headers
    : { ...reply.headers, "content-length": String(body.length) };
  response.writeHead(reply.status, headers);
  response.flushHeaders();
  for (const piece of writes) {
    if (response.destroyed) return;
    response.write(piece);
    await delay(options.chunkDelayMs);
  }
  response.socket?.destroy();
}
