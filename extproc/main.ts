/**
 * `ai-gateway extproc`: the data plane as it runs in its pod. Loads the routes (from the labelled
 * configuration Secrets of its namespace, or from a folder), serves ext_proc and gRPC health on its
 * port (and Unix socket), `/metrics` on another, and drains on SIGTERM.
 */
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { Logger } from "winston";
import { componentLogger } from "../lib/logger";
import type { Cancellation } from "../pipeline/cancellation";
import { assembleDataPlane } from "../pipeline/data-plane";
import type { GatewayMetrics } from "../pipeline/metrics";
import type { RouteStore } from "../pipeline/route-store";
import type { ConfigSource } from "./config-sources/config-source";
import { DirectoryConfigSource } from "./config-sources/directory-source";
import type { SecretWatchFactory } from "./config-sources/secret-source";
import { ExtProcServer } from "./server";
import type { ExtProcSettings } from "./settings";

export interface RunningExtProc {
  /** The gRPC TCP port bound (the one asked for, or the free one picked for port 0); 0 when only a Unix socket. */
  grpcPort: number;
  metricsPort: number;
  routes: RouteStore;
  /**
   * Drains the open streams (up to the drain time), then stops everything; first, unless told it
   * never took traffic, it keeps taking new streams for the shutdown delay.
   */
  stop(options?: { tookTraffic?: boolean }): Promise<void>;
}

export interface ExtProcDeps {
  logger?: Logger;
  /** The Secret watch; the API client's (kube-secret-watch.ts) unless a test gives another. */
  secretWatch?: SecretWatchFactory;
  /** Called when the configuration source can no longer follow changes: restart the process. */
  onFatal?: (error: Error) => void;
  /** Cancelled to give up a start still loading its routes (a SIGTERM during a slow start). */
  abortStart?: Cancellation;
}

export async function startExtProc(
  settings: ExtProcSettings,
  deps: ExtProcDeps = {},
): Promise<RunningExtProc> {
  const logger = deps.logger ?? componentLogger("extproc");
  const { auth, routes, metrics, gateway, upstream, observer } = assembleDataPlane(
    settings,
    logger,
  );
  const server = new ExtProcServer({ gateway, upstream, logger, observer });
  const tcp = settings.socket && settings.port === 0 ? [] : [`${settings.host}:${settings.port}`];
  if (settings.socket) await removeStaleSocket(settings.socket);
  const addresses = [...tcp, ...(settings.socket ? [`unix:${settings.socket}`] : [])];
  const onFailure = (error: Error) => {
    logger.error("the route configuration can no longer be followed", { error: error.message });
    server.setServing(false);
    deps.onFatal?.(error);
  };
  let metricsServer: Server | undefined;
  let source: ConfigSource | undefined;
  /** Stops what has started, its streams given up to `graceMs` to finish. */
  const closeAll = async (graceMs: number) => {
    await server.shutdown(graceMs);
    await source?.stop();
    await upstream.close();
    auth.close();
    if (metricsServer) await closeServer(metricsServer);
  };
  let ports: number[];
  try {
    ports = await server.listen(addresses);
    metricsServer = await serveMetrics(metrics, settings.metricsPort, settings.host);
    source = configSource(settings, routes, logger, onFailure, deps.secretWatch);
    const started = source;
    const abort = () => void started.stop();
    deps.abortStart?.onCancel(abort);
    try {
      if (deps.abortStart?.cancelled) throw deps.abortStart.reason;
      await source.start();
    } finally {
      deps.abortStart?.offCancel(abort);
    }
  } catch (error) {
    // What did start must stop, or its open ports and timers keep the process alive after the
    // failure: a pod that neither serves nor exits instead of one that restarts.
    await closeAll(0);
    throw error;
  }
  const grpcPort = tcp.length > 0 ? ports[0] : 0;
  server.setServing(true);
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  logger.info("serving", {
    grpc: addresses,
    grpcPort,
    metricsPort,
    routes: routes.keys().length,
    config: settings.configDir ?? `Secrets in ${settings.namespace}`,
  });

  return {
    grpcPort,
    metricsPort,
    routes,
    async stop({ tookTraffic = true } = {}) {
      server.setServing(false);
      if (tookTraffic && settings.shutdownDelaySeconds > 0) {
        logger.info("shutting down: still taking new streams", {
          seconds: settings.shutdownDelaySeconds,
        });
        await new Promise(resolve => setTimeout(resolve, settings.shutdownDelaySeconds * 1000));
      }
      logger.info("draining", { seconds: settings.drainSeconds });
      await closeAll(settings.drainSeconds * 1000);
      logger.info("stopped");
    },
  };
}

/**
 * The configuration source of the mode. The Secret source and its API client are loaded only in
 * that mode, so a server reading a folder holds no watch code in memory.
 */
function configSource(
  settings: ExtProcSettings,
  store: RouteStore,
  logger: Logger,
  onFailure: (error: Error) => void,
  secretWatch: SecretWatchFactory | undefined,
): ConfigSource {
  if (settings.configDir) {
    return new DirectoryConfigSource({ store, dir: settings.configDir, onFailure, logger });
  }
  // require, not import(): tsx and the bundle resolve a source module for require(), while a
  // dynamic import() goes to Node's ESM resolver, which knows no extensionless .ts paths.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SecretConfigSource } =
    require("./config-sources/secret-source") as typeof import("./config-sources/secret-source");
  const watch =
    secretWatch ??
    (
      require("./config-sources/kube-secret-watch") as typeof import("./config-sources/kube-secret-watch")
    ).kubeSecretWatch({ logger });
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new SecretConfigSource({
    store,
    namespace: settings.namespace,
    prefix: settings.configSecretPrefix,
    watch,
    onFailure,
    logger,
  });
}

/**
 * A socket file left by a server that did not stop cleanly would refuse the new one; one that a
 * live server answers on is left alone (and the listen fails, as it should).
 */
async function removeStaleSocket(path: string): Promise<void> {
  const answered = await new Promise<boolean>(resolve => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (!answered) rmSync(path, { force: true });
}

function closeServer(server: Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()));
}

/** `GET /metrics` in Prometheus' text format. */
function serveMetrics(metrics: GatewayMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      text => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
