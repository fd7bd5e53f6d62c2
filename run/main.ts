/**
 * `ai-gateway run`: the gateway on one machine. Reads the manifests (or builds the default from the
 * environment), serves their routes over HTTP with the same pipeline, metrics and log line as the
 * ext_proc server, and follows the files: a change that validates replaces the routes, one that
 * does not is reported and the last good configuration keeps serving.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "winston";
import { ManifestError, readManifests } from "../cli/manifests";
import type { RouteConfig } from "../contract/route-config";
import { errorMessage } from "../lib/error-message";
import { componentLogger } from "../lib/logger";
import { assembleDataPlane } from "../pipeline/data-plane";
import type { RouteStore } from "../pipeline/route-store";
import type { SourcedManifest } from "../resolve/manifest-routes";
import { DEFAULT_SOURCE, defaultManifests } from "./default-manifests";
import { GatewayHttpServer } from "./http-server";
import { ModelDiscovery } from "./model-discovery";
import {
  ConfigError,
  configFromManifests,
  serveRoutes,
  type ManifestConfig,
} from "./manifest-config";
import { ManifestWatch } from "./manifest-watch";
import type { RunSettings } from "./settings";

type Env = Record<string, string | undefined>;

/** What happened to a change of the files. */
export type ReloadEvent =
  | { kind: "reloaded"; routes: RouteConfig[]; warnings: string[] }
  | { kind: "rejected"; messages: string[] };

export interface RunDeps {
  logger?: Logger;
  env?: Env;
  readFile?: (path: string) => string;
  /** Told of every change of the files, once it is served or rejected. */
  onReload?: (event: ReloadEvent) => void;
  /** How long a change of the files waits for more. Default 100 ms. */
  debounceMs?: number;
}

export interface RunningGateway {
  port: number;
  /** The base URL of the OpenAI API, e.g. `http://localhost:1975/v1`. */
  url: string;
  /** The configuration served at startup. */
  config: ManifestConfig;
  /** Whether the built-in default is served (no file was given). */
  usesDefault: boolean;
  routes: RouteStore;
  stop(): Promise<void>;
}

/**
 * Reads the manifests `files` name, or the default for `env` when there are none, and resolves
 * them into route documents.
 * @throws ConfigError naming the file and object of each problem.
 */
export async function loadConfig(
  files: readonly string[],
  env: Env,
  readFile: (path: string) => string,
): Promise<ManifestConfig> {
  let inputs: SourcedManifest[];
  try {
    inputs = files.length > 0 ? readManifests(files, readFile) : defaultManifests(env);
  } catch (error) {
    if (error instanceof ManifestError) throw new ConfigError([error.message]);
    throw error;
  }
  return configFromManifests(inputs, env);
}

/** The loopback name for a local address, so the printed URL is the one people type. */
const urlHost = (host: string) =>
  host === "127.0.0.1" || host === "0.0.0.0" || host === "::" || host === "::1"
    ? "localhost"
    : host;

/**
 * Starts the gateway.
 * @throws ConfigError when the configuration is invalid (nothing is started then).
 */
export async function startRun(settings: RunSettings, deps: RunDeps = {}): Promise<RunningGateway> {
  const logger = deps.logger ?? componentLogger("run");
  const env = deps.env ?? process.env;
  const readAnyFile = deps.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  // Standard input can be read once: a reload reads the files again, and what came in on it.
  let stdin: string | undefined;
  const readFile = (path: string) =>
    path === "/dev/stdin" ? (stdin ??= readAnyFile(path)) : readAnyFile(path);
  const config = await loadConfig(settings.files, env, readFile);
  const source = settings.files.length > 0 ? settings.files.join(", ") : DEFAULT_SOURCE;

  const { auth, routes, metrics, gateway, upstream, observer } = assembleDataPlane(
    settings,
    logger,
  );
  serveRoutes(routes, config.routes, source);
  const server = new GatewayHttpServer({
    gateway,
    routes,
    upstream,
    metrics,
    logger,
    observer,
    discovery: new ModelDiscovery({
      upstream,
      auth,
      onProblem: message => logger.warn(message),
    }),
  });
  const port = await server.listen(settings.port, settings.host);

  const watch = new ManifestWatch({
    paths: settings.files,
    debounceMs: deps.debounceMs,
    onError: error =>
      logger.error("the manifest files can no longer be followed", { error: error.message }),
    reload: async () => {
      try {
        const next = await loadConfig(settings.files, env, readFile);
        serveRoutes(routes, next.routes, source);
        logger.info("configuration reloaded", { routes: next.routes.length });
        deps.onReload?.({ kind: "reloaded", routes: next.routes, warnings: next.warnings });
      } catch (error) {
        const messages = error instanceof ConfigError ? error.messages : [errorMessage(error)];
        logger.warn("configuration change rejected; the last good one keeps serving", {
          problems: messages.length,
        });
        deps.onReload?.({ kind: "rejected", messages });
      }
    },
  });
  watch.start();

  return {
    port,
    url: `http://${urlHost(settings.host)}:${port}/v1`,
    config,
    usesDefault: settings.files.length === 0,
    routes,
    async stop() {
      await watch.stop();
      await server.close(1_000);
      await upstream.close();
      auth.close();
    },
  };
}
