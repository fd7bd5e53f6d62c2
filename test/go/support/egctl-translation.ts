/**
 * Runs Envoy Gateway's own translator (`egctl x translate`) over what the controller generates, and
 * reads the result: the objects with the status Envoy Gateway would write, and the Envoy
 * configuration (listeners, routes, clusters) it would send to Envoy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

/** The GatewayClass the examples' Gateways name, claimed by Envoy Gateway's controller. */
const GATEWAY_CLASS = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "envoy-gateway" },
  spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
};

/** egctl's scheme does not know our kinds and refuses a whole file that holds one. */
const AI_GATEWAY_GROUP = "aigateway.envoyproxy.io/";

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TranslatedObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    parents?: Array<{ parentRef?: { name?: string }; conditions?: Condition[] }>;
    ancestors?: Array<{ ancestorRef?: { name?: string }; conditions?: Condition[] }>;
  };
}

/** An xDS resource, as protojson prints it (camelCase fields, `@type` on Any). */
export type Xds = Record<string, unknown>;

/** What `egctl x translate --to gateway-api,xds -o json` prints. */
export interface TranslationResult {
  gatewayClass?: TranslatedObject;
  gateways?: TranslatedObject[];
  httpRoutes?: TranslatedObject[];
  backends?: TranslatedObject[];
  envoyExtensionPolicies?: TranslatedObject[];
  backendTrafficPolicies?: TranslatedObject[];
  clientTrafficPolicies?: TranslatedObject[];
  /** Per Gateway (`<namespace>/<name>`): the config dumps Envoy's admin API would show. */
  xds?: Record<string, { configs: Xds[] }>;
}

/** A Kubernetes object as read from YAML: the fields the checks name, and any others. */
export type KubeObject = TranslatedObject & Record<string, unknown>;

/** The objects of a YAML stream, comments and empty documents dropped. */
export function objectsOf(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((document): KubeObject | null => document.toJS())
    .filter((value): value is KubeObject => value !== null && value !== undefined);
}

/**
 * egctl's input: the GatewayClass, the example's own objects but ours (Gateway, Backends,
 * Secrets), and the objects `translate` generated for it.
 */
export function translationInput(exampleYaml: string, generatedYaml: string): string {
  const own = objectsOf(exampleYaml).filter(
    object => !String(object.apiVersion ?? "").startsWith(AI_GATEWAY_GROUP),
  );
  return [GATEWAY_CLASS, ...own, ...objectsOf(generatedYaml)]
    .map(object => stringify(object))
    .join("---\n");
}

/** Runs egctl over `input`; fails with egctl's own output when it refuses. */
export function egctlTranslate(egctl: string, input: string): TranslationResult {
  const dir = mkdtempSync(join(tmpdir(), "aigw-egctl-"));
  try {
    const file = join(dir, "input.yaml");
    writeFileSync(file, input);
    const args = ["x", "translate", "--from", "gateway-api", "--to", "gateway-api,xds"];
    const result = spawnSync(egctl, [...args, "-o", "json", "-f", file], {
      encoding: "utf8",
      maxBuffer: 256 << 20,
    });
    if (result.error) throw new Error(`egctl could not run: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(`egctl ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr}`);
    }
    return JSON.parse(result.stdout) as TranslationResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- reading the xDS dumps ----

const dumpOf = (result: TranslationResult, type: string): Xds[] =>
  Object.values(result.xds ?? {}).flatMap(gateway =>
    gateway.configs.filter(config => config["@type"] === `type.googleapis.com/${type}`),
  );

export const field = <T>(value: unknown, ...path: Array<string | number>): T | undefined => {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current as T | undefined;
};

/** Every listener Envoy would run. */
export function listenersOf(result: TranslationResult): Xds[] {
  return dumpOf(result, "envoy.admin.v3.ListenersConfigDump").flatMap(dump =>
    (field<Xds[]>(dump, "dynamicListeners") ?? []).flatMap(entry => {
      const listener = field<Xds>(entry, "activeState", "listener");
      return listener ? [listener] : [];
    }),
  );
}

/**
 * The HTTP connection managers of a Gateway's listeners (those reading routes over RDS), with
 * their listener; Envoy Gateway's own readiness listener is left out.
 */
export function gatewayConnectionManagersOf(
  result: TranslationResult,
): Array<{ listener: Xds; manager: Xds }> {
  return listenersOf(result).flatMap(listener =>
    (field<Xds[]>(listener, "filterChains") ?? [])
      .concat(field<Xds>(listener, "defaultFilterChain") ?? [])
      .flatMap(chain => field<Xds[]>(chain, "filters") ?? [])
      .filter(filter => filter.name === "envoy.filters.network.http_connection_manager")
      .flatMap(filter => {
        const manager = field<Xds>(filter, "typedConfig");
        return manager && field(manager, "rds") ? [{ listener, manager }] : [];
      }),
  );
}

/** The HTTP filters of a connection manager, in the order Envoy runs them on a request. */
export const httpFiltersOf = (manager: Xds): Xds[] => field<Xds[]>(manager, "httpFilters") ?? [];

/** Every virtual host's routes, in Envoy's matching order (the first that matches wins). */
export function virtualHostsOf(result: TranslationResult): Array<{ name: string; routes: Xds[] }> {
  return dumpOf(result, "envoy.admin.v3.RoutesConfigDump").flatMap(dump =>
    (field<Xds[]>(dump, "dynamicRouteConfigs") ?? []).flatMap(config =>
      (field<Xds[]>(config, "routeConfig", "virtualHosts") ?? []).map(host => ({
        name: String(host.name),
        routes: field<Xds[]>(host, "routes") ?? [],
      })),
    ),
  );
}

/** Every cluster Envoy would have, by name. */
export function clustersOf(result: TranslationResult): Map<string, Xds> {
  const clusters = dumpOf(result, "envoy.admin.v3.ClustersConfigDump").flatMap(dump =>
    [
      ...(field<Xds[]>(dump, "dynamicActiveClusters") ?? []),
      ...(field<Xds[]>(dump, "staticClusters") ?? []),
    ].flatMap(entry => {
      const cluster = field<Xds>(entry, "cluster");
      return cluster ? [cluster] : [];
    }),
  );
  return new Map(clusters.map(cluster => [String(cluster.name), cluster]));
}

/** The endpoints (`host:port`) of every cluster, from the cluster itself or the EDS dump. */
export function endpointsOf(result: TranslationResult): Map<string, string[]> {
  const byCluster = new Map<string, string[]>();
  const add = (assignment: Xds | undefined) => {
    if (!assignment) return;
    const addresses = (field<Xds[]>(assignment, "endpoints") ?? []).flatMap(locality =>
      (field<Xds[]>(locality, "lbEndpoints") ?? []).flatMap(lb => {
        const socket = field<Xds>(lb, "endpoint", "address", "socketAddress");
        return socket ? [`${String(socket.address)}:${String(socket.portValue)}`] : [];
      }),
    );
    const name = String(assignment.clusterName);
    byCluster.set(name, [...(byCluster.get(name) ?? []), ...addresses]);
  };
  for (const cluster of clustersOf(result).values()) add(field<Xds>(cluster, "loadAssignment"));
  for (const dump of dumpOf(result, "envoy.admin.v3.EndpointsConfigDump")) {
    for (const entry of field<Xds[]>(dump, "dynamicEndpointConfigs") ?? []) {
      add(field<Xds>(entry, "endpointConfig"));
    }
  }
  return byCluster;
}
