/**
 * How `ai-gateway run` writes a stream to its client: the headers as soon as the backend's arrive,
 * even while its first token is still coming, and every byte the backend sent, whether it came in
 * one piece or several.
 */
import { once } from "node:events";
import { request, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningGateway } from "../../run/main";
import { eventually, startFakeServer, type FakeServer } from "../auth/support/fake-server";
import { captureLogs } from "../auth/support/log-capture";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";
import { startGateway } from "./support/gateway";

const EVENTS = [
  'data: {"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n',
  'data: {"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n',
  "data: [DONE]\n\n",
];

describe("ai-gateway run: writing a stream", () => {
  let upstream: FakeServer;
  let gateway: RunningGateway;
  /** How the upstream writes its stream after the headers; set by each test. */
  let writeBody: (response: ServerResponse) => void;

  beforeAll(async () => {
    upstream = await startFakeServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.flushHeaders();
      writeBody(response);
    });
    const { hostname: host, port } = new URL(upstream.url);
    const dir = manifestFolder({
      "route.yaml": [
        ...backendManifests("local", { kind: "openai", host, port: Number(port) }, "LOCAL_KEY"),
        routeManifest("route", [{ model: "local-model", backends: [{ name: "local" }] }]),
      ],
    });
    gateway = await startGateway({ files: [dir] }, { env: { LOCAL_KEY: "sk-local" } });
  });

  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  /** Sends a streamed chat request; resolves with the response when its headers arrive. */
  function ask(): Promise<IncomingMessage> {
    const req = request({
      host: "127.0.0.1",
      port: gateway.port,
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
    });
    req.end(JSON.stringify({ model: "local-model", stream: true, messages: [] }));
    return once(req, "response").then(([response]) => response as IncomingMessage);
  }

  const bodyOf = async (response: IncomingMessage) => {
    let text = "";
    for await (const chunk of response) text += chunk;
    return text;
  };

  it("sends the headers while the backend's first token is still coming", async () => {
    let release!: () => void;
    writeBody = response => {
      release = () => response.end(EVENTS.join(""));
    };
    const response = await ask();
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/event-stream");
    expect(response.headers["x-ai-eg-backend"]).toBe("default/local");
    release();
    expect(await bodyOf(response)).toBe(EVENTS.join(""));
  });

  it("ends and reports a stream whose slow client goes away", async () => {
    const logs = captureLogs();
    try {
      let upstream!: ServerResponse;
      writeBody = res => {
        upstream = res;
        const event = `data: {"choices":[{"index":0,"delta":{"content":"${"x".repeat(16_000)}"}}]}\n\n`;
        const pump = () => {
          while (!res.destroyed) if (!res.write(event)) return void res.once("drain", pump);
        };
        pump();
      };
      const response = await ask();
      // The client reads nothing: the gateway's writes to it back up, and it waits for them.
      response.pause();
      await new Promise(resolve => setTimeout(resolve, 300));
      response.destroy();
      await eventually(async () => (upstream.destroyed ? true : undefined));
      const reported = await eventually(async () =>
        logs.lines.find(line => line.includes('"message":"request"')),
      );
      expect(JSON.parse(reported)).toMatchObject({ status: 499, errorType: "cancelled" });
    } finally {
      logs.stop();
    }
  });

  const sentAtOnce = (response: ServerResponse) => response.end(EVENTS.join(""));
  const sentPieceByPiece = (response: ServerResponse) => {
    let next = 0;
    const timer = setInterval(() => {
      if (next < EVENTS.length) return void response.write(EVENTS[next++]);
      clearInterval(timer);
      response.end();
    }, 5);
  };

  it.each([
    ["at once", sentAtOnce],
    ["piece by piece", sentPieceByPiece],
  ])("passes on a stream the backend sent %s, whole", async (_how, write) => {
    writeBody = write;
    const response = await ask();
    expect(await bodyOf(response)).toBe(EVENTS.join(""));
  });
});
