import https from "node:https";
import { outlastApiServerIdleConnections, WEBHOOK_KEEP_ALIVE_MS } from "../../lib/keep-alive";

describe("outlastApiServerIdleConnections", () => {
  const original = https.createServer;
  afterAll(() => {
    https.createServer = original;
  });

  it("gives every HTTPS server created afterwards a keep-alive above the API server's 90 s", () => {
    expect(https.createServer({}).keepAliveTimeout).toBe(5_000);
    outlastApiServerIdleConnections();
    outlastApiServerIdleConnections();
    const server = https.createServer({}, () => undefined);
    expect(server.keepAliveTimeout).toBe(WEBHOOK_KEEP_ALIVE_MS);
    expect(WEBHOOK_KEEP_ALIVE_MS).toBeGreaterThan(90_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
    expect(server.listenerCount("request")).toBe(1);
  });
});
