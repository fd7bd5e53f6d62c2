import { checkHealth, dialableHost } from "../../extproc/healthcheck";
import { ExtProcServer } from "../../extproc/server";
import { BackendAuthRegistry } from "../../auth/registry";
import { Gateway } from "../../pipeline/gateway";
import { RouteStore } from "../../pipeline/route-store";
import { UpstreamClient } from "../../pipeline/upstream-client";
import { rootLogger } from "../../lib/logger";

describe("the healthcheck command", () => {
  it("dials loopback for a wildcard listen address, and the address itself otherwise", () => {
    expect(dialableHost("0.0.0.0")).toBe("127.0.0.1");
    expect(dialableHost("::")).toBe("[::1]");
    expect(dialableHost("10.1.2.3")).toBe("10.1.2.3");
    expect(dialableHost("fd00::7")).toBe("[fd00::7]");
  });

  it("exits 0 once the server on the configured host serves, and 1 before", async () => {
    const auth = new BackendAuthRegistry();
    const upstream = new UpstreamClient();
    const server = new ExtProcServer({
      gateway: new Gateway({ routes: new RouteStore(auth), auth }),
      upstream,
      logger: rootLogger,
      observer: { finished: () => {} },
    });
    try {
      const [port] = await server.listen(["127.0.0.2:0"]);
      const args = ["--host", "127.0.0.2", "--port", String(port)];
      expect(await checkHealth(args, {})).toBe(1);
      server.setServing(true);
      expect(await checkHealth(args, {})).toBe(0);
    } finally {
      await server.shutdown(0);
      await upstream.close();
    }
  });
});
