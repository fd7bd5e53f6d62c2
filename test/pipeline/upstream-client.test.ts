import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Cancellation } from "../../pipeline/cancellation";
import { MAX_UNREAD_BYTES } from "../../pipeline/upstream-answer";
import { UpstreamClient } from "../../pipeline/upstream-client";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe("UpstreamClient", () => {
  let server: Server;
  let handler: Handler;
  let requests: IncomingMessage[];
  /** Each request's connection closing, watched from its arrival. */
  let connectionsClosed: Promise<unknown>[];
  let origin: { hostname: string; port: number; tls: boolean };
  let client: UpstreamClient;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request);
      connectionsClosed.push(once(request.socket, "close"));
      handler(request, response);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    origin = { hostname: "127.0.0.1", port: (server.address() as AddressInfo).port, tls: false };
  });
  beforeEach(() => {
    requests = [];
    connectionsClosed = [];
    client = new UpstreamClient();
  });
  afterEach(() => client.close());
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  const get = (cancellation = new Cancellation()) =>
    client.get(origin, "/v1/models", { accept: "application/json" }, cancellation);

  it("gives the status, the headers (repeated ones joined) and the whole body", async () => {
    handler = (_request, response) => {
      response.setHeader("x-seen", ["a", "b"]);
      response.writeHead(201, { "content-type": "application/json" });
      response.write('{"data":');
      response.end("[]}");
    };
    const answer = await get();
    expect(answer.status).toBe(201);
    expect(answer.headers).toMatchObject({ "content-type": "application/json", "x-seen": "a, b" });
    expect((await answer.whole()).toString()).toBe('{"data":[]}');
    expect(requests[0].headers).toMatchObject({ host: "127.0.0.1", accept: "application/json" });
  });

  it("passes a stream on chunk by chunk, before the backend has finished it", async () => {
    let finish!: () => void;
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
      finish = () => response.end("data: two\n\n");
    };
    const answer = await get();
    const chunks: string[] = [];
    for await (const chunk of answer.body) {
      chunks.push(Buffer.from(chunk).toString());
      if (chunks.length === 1) finish();
    }
    expect(chunks).toEqual(["data: one\n\n", "data: two\n\n"]);
  });

  it("holds back a backend whose stream is not read, and loses nothing once it is", async () => {
    const total = 32 * 1024 * 1024;
    let written = 0;
    let response!: ServerResponse;
    handler = (_request, res) => {
      response = res;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const writeMore = () => {
        while (written < total) {
          written += MAX_UNREAD_BYTES;
          if (!res.write(Buffer.alloc(MAX_UNREAD_BYTES, 7)))
            return void res.once("drain", writeMore);
        }
        res.end();
      };
      writeMore();
    };
    const answer = await get();
    await new Promise(resolve => setTimeout(resolve, 300));
    // Unread, the answer holds the backend back: far from all of it left the backend.
    expect(response.writableNeedDrain).toBe(true);
    expect(written).toBeLessThan(total);
    let read = 0;
    for await (const chunk of answer.body) read += chunk.length;
    expect(read).toBe(total);
  });

  it("ends the upstream request when its reader stops early", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
    };
    const answer = await get();
    const reader = answer.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe("data: one\n\n");
    await reader.return?.();
    await connectionsClosed[0];
  });

  it("ends the upstream request when it is called off while the answer arrives", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
    };
    const cancellation = new Cancellation();
    const answer = await get(cancellation);
    const reading = answer.whole();
    cancellation.cancel(new Error("the client went away"));
    await expect(reading).rejects.toThrow("the client went away");
    await connectionsClosed[0];
  });

  it("hands out nothing more once called off, not even what it already holds", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: one\n\n");
      response.write("data: two\n\n");
    };
    const cancellation = new Cancellation();
    const answer = await get(cancellation);
    // Both events have arrived, unread, by the time the reader is called off.
    await new Promise(resolve => setTimeout(resolve, 100));
    cancellation.cancel(new Error("the client went away"));
    const read: string[] = [];
    const reading = (async () => {
      for await (const chunk of answer.body) read.push(Buffer.from(chunk).toString());
    })();
    await expect(reading).rejects.toThrow("the client went away");
    expect(read).toEqual([]);
  });

  it("sends nothing when already called off, and rejects with the reason", async () => {
    handler = (_request, response) => void response.end("{}");
    const cancellation = new Cancellation();
    cancellation.cancel(new Error("no time left"));
    await expect(get(cancellation)).rejects.toThrow("no time left");
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(requests).toHaveLength(0);
  });

  it("rejects when the backend drops the connection before answering", async () => {
    handler = request => request.socket.destroy();
    await expect(get()).rejects.toThrow("other side closed");
  });

  it("fails the body when the backend drops the connection halfway through it", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("partial");
      setImmediate(() => response.socket!.destroy());
    };
    const answer = await get();
    await expect(answer.whole()).rejects.toThrow("other side closed");
  });
});
