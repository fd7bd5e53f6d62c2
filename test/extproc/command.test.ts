/**
 * `ai-gateway extproc` as the image starts it: a separate process that reads its routes from a
 * folder, serves ext_proc and gRPC health on a Unix socket and `/metrics`, and drains on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { backend, modelRule, routeConfig } from "../pipeline/fixtures";
import { tokenKubeconfig } from "../support/kubeconfig";
import {
  connect,
  mutationOf,
  requestBody,
  requestHeaders,
  responseBody,
  responseHeaders,
} from "./support/envoy-client";

const BIN = join(__dirname, "../../cli/bin.js");

/** Waits for the JSON log line whose message is `message`. */
function logLine(child: ChildProcess, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split("\n").slice(0, -1)) {
        try {
          const record = JSON.parse(line);
          if (record.message === message) {
            child.stderr?.off("data", onData);
            resolve(record);
          }
        } catch {
          // not a log line
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    };
    child.stderr?.on("data", onData);
    child.once("exit", code =>
      reject(new Error(`exited with ${code} before logging "${message}"`)),
    );
  });
}

function healthStatus(address: string, service: string): Promise<string> {
  const definition = loadSync(require.resolve("grpc-health-check/proto/health/v1/health.proto"), {
    keepCase: true,
    enums: String,
  });
  const grpc = loadPackageDefinition(definition) as unknown as {
    grpc: {
      health: {
        v1: {
          Health: new (
            address: string,
            creds: unknown,
          ) => {
            Check(
              request: object,
              callback: (error: Error | null, response: { status: string }) => void,
            ): void;
            close(): void;
          };
        };
      };
    };
  };
  const client = new grpc.grpc.health.v1.Health(address, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response.status);
    }),
  );
}

describe("ai-gateway extproc", () => {
  const dir = mkdtempSync(join(tmpdir(), "aigw-extproc-"));
  const socket = join(dir, "extproc.sock");
  const routes = join(dir, "routes");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the routes of a folder on a Unix socket, reports health and metrics, drains on SIGTERM", async () => {
    mkdirSync(routes);
    writeFileSync(
      join(routes, "route.json"),
      JSON.stringify(routeConfig([modelRule("gpt-4o", [backend("openai")])])),
    );
    const child = spawn(process.execPath, [BIN, "extproc", "--config-dir", routes, "--port", "0"], {
      env: {
        ...process.env,
        LOG_LEVEL: "info",
        AIGW_EXTPROC_SOCKET: socket,
        AIGW_METRICS_PORT: "0",
        AIGW_EXTPROC_LISTEN_HOST: "127.0.0.1",
        AIGW_SHUTDOWN_DELAY_SECONDS: "3",
        // Room for the request in flight on a loaded machine: the drain ends when it does.
        AIGW_DRAIN_SECONDS: "20",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const serving = await logLine(child, "serving");
      expect(serving).toMatchObject({ routes: 1, component: "extproc" });
      const address = `unix:${socket}`;
      expect(await healthStatus(address, "envoy.service.ext_proc.v3.ExternalProcessor")).toBe(
        "SERVING",
      );

      const envoy = connect(address);
      const stream = envoy.open();
      const models = await stream.send(
        requestHeaders("/v1/models", { method: "GET", endOfStream: true }),
      );
      expect(JSON.parse(models.immediate_response!.body!.toString()).data[0].id).toBe("gpt-4o");
      stream.end();

      const metrics = await fetch(`http://127.0.0.1:${serving.metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain(
        'aigw_requests_answered_total{route="default/route",status="200"',
      );

      // A request in flight at SIGTERM is served to its end; only then does the process exit.
      const inFlight = envoy.open();
      await inFlight.send(requestHeaders("/v1/chat/completions"));
      const exited = new Promise<number | null>(resolve => child.once("exit", resolve));
      child.kill("SIGTERM");
      // For 3 s it says NOT_SERVING but still takes new streams, while Envoy finds others.
      await logLine(child, "shutting down: still taking new streams");
      expect(await healthStatus(address, "")).toBe("NOT_SERVING");
      const late = envoy.open();
      const lateModels = await late.send(
        requestHeaders("/v1/models", { method: "GET", endOfStream: true }),
      );
      expect(lateModels.immediate_response?.status?.code).toBe("OK");
      late.end();
      await logLine(child, "draining");
      const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };
      expect(mutationOf(await inFlight.send(requestBody(chat))).set["x-ai-eg-backend"]).toBe(
        "default/openai",
      );
      await inFlight.send(responseHeaders(200, { "content-type": "application/json" }));
      const completion = {
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o",
        choices: [],
      };
      const answer = await inFlight.send(responseBody(JSON.stringify(completion)));
      expect(answer.response_body?.response?.body_mutation?.body?.toString()).toContain('"id":"c"');
      inFlight.end();
      expect(await inFlight.closed).toBeUndefined();
      envoy.close();
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);

  // The start waits on the API server's list of route Secrets: one that never answers, or one
  // whose lists fail (the start would retry with back-off for about a minute).
  it.each([
    ["a list that has not answered", (_response: ServerResponse) => {}],
    [
      "lists that fail",
      (response: ServerResponse) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ kind: "Status", message: "etcd is down" }));
      },
    ],
  ])(
    "stops at once on a SIGTERM during its start, waiting on %s",
    async (_name, answer) => {
      let listed!: () => void;
      const listArrived = new Promise<void>(resolve => (listed = resolve));
      const open: ServerResponse[] = [];
      const api = createServer((_request, response) => {
        open.push(response);
        listed();
        answer(response);
      });
      await new Promise<void>(resolve => api.listen(0, "127.0.0.1", resolve));
      const kubeconfig = join(dir, "kubeconfig");
      writeFileSync(
        kubeconfig,
        tokenKubeconfig(`http://127.0.0.1:${(api.address() as AddressInfo).port}`, "token"),
      );
      const child = spawn(process.execPath, [BIN, "extproc", "--port", "0"], {
        env: {
          ...process.env,
          KUBECONFIG: kubeconfig,
          AIGW_METRICS_PORT: "0",
          AIGW_EXTPROC_LISTEN_HOST: "127.0.0.1",
          AIGW_SHUTDOWN_DELAY_SECONDS: "60",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      try {
        const exited = new Promise<[number | null, string | null]>(resolve =>
          child.once("exit", (code, signal) => resolve([code, signal])),
        );
        await listArrived;
        child.kill("SIGTERM");
        // Not killed by the signal, and within the test's 30 s: the start is given up, with
        // neither the retries nor the shutdown delay of a server that never took traffic.
        expect(await exited).toEqual([0, null]);
      } finally {
        child.kill("SIGKILL");
        for (const response of open) response.destroy();
        await new Promise(resolve => api.close(resolve));
      }
    },
    30_000,
  );

  it("exits with the error when its routes cannot be loaded, rather than staying up unready", async () => {
    const missing = join(dir, "no-such-folder");
    const child = spawn(
      process.execPath,
      [BIN, "extproc", "--config-dir", missing, "--port", "0"],
      {
        env: { ...process.env, AIGW_METRICS_PORT: "0", AIGW_EXTPROC_LISTEN_HOST: "127.0.0.1" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr?.on("data", chunk => (stderr += chunk));
    const code = await new Promise<number | null>(resolve => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split("\n").at(-1)).toBe(
      `error: cannot follow the route folder ${missing}: ENOENT: no such file or directory, watch '${missing}'`,
    );
  }, 30_000);

  it("refuses bad settings with a message naming the flag, before starting anything", async () => {
    const child = spawn(process.execPath, [BIN, "extproc", "--port", "http"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", chunk => (stderr += chunk));
    const code = await new Promise<number | null>(resolve => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      "error: --port: Invalid input: expected number, received NaN",
    );
  }, 30_000);
});
