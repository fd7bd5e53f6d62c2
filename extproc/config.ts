/**
 * The configuration document the ext_proc server reads, written by the control plane. This module
 * is the contract between the two halves: change it only together with its `CONFIG_VERSION`.
 *
 * Layout in the cluster: one document per AIGatewayRoute, stored under the data key
 * `routeDataKey(namespace, name)` of one of `shardCount` Secrets named `<prefix>-<NN>` in the ext_proc
 * server's namespace, chosen by `shardOf`. The index Secret `<prefix>` lists the shards and the
 * version, so a route's document is found without reading the others, and no Secret grows past the
 * 1 MiB object limit as routes are added.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  HTTPBodyMutationSchema,
  HTTPHeaderMatchSchema,
  HTTPHeaderMutationSchema,
  LLMRequestCostSchema,
  VersionedAPISchemaSchema,
} from "../api/v1alpha1";
import { BackendAuthConfigSchema } from "../auth/config";

export const CONFIG_VERSION = "aigw.config/v1";

/**
 * The header the ext_proc server sets to the selected backend's id (`<namespace>/<name>` of the
 * AIServiceBackend); the generated HTTPRoute has one rule matching each value.
 */
export const SELECTED_BACKEND_HEADER = "x-ai-eg-backend";

/** The dynamic-metadata namespace costs and token counts are written to. */
export const METADATA_NAMESPACE = "io.envoy.ai_gateway";

export const BackendEndpointSchema = z.strictObject({
  hostname: z.string().describe("The host the request is sent to (and signed for)."),
  port: z.number().int().describe("The port the request is sent to."),
  tls: z.boolean().describe("Whether the connection uses TLS."),
});

export const BackendConfigSchema = z.strictObject({
  /** `<namespace>/<name>` of the AIServiceBackend; the value of `SELECTED_BACKEND_HEADER`. */
  id: z.string(),
  schema: VersionedAPISchemaSchema,
  endpoint: BackendEndpointSchema.optional(),
  weight: z.number().int().min(0),
  priority: z.number().int().min(0),
  modelNameOverride: z.string().optional(),
  /** The AIServiceBackend's mutations, with the route's on top (the route's win). */
  headerMutation: HTTPHeaderMutationSchema.optional(),
  bodyMutation: HTTPBodyMutationSchema.optional(),
  /** Resolved credentials from the backend's BackendSecurityPolicy; absent when it has none. */
  auth: BackendAuthConfigSchema.optional(),
});

export const RuleConfigSchema = z.strictObject({
  name: z.string().optional(),
  /** Any of these matches selects the rule; none means every request. */
  matches: z.array(z.strictObject({ headers: z.array(HTTPHeaderMatchSchema) })),
  backends: z.array(BackendConfigSchema),
  modelsOwnedBy: z.string(),
  modelsCreatedAt: z.string(),
});

export const RouteConfigSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  namespace: z.string(),
  name: z.string(),
  /** The generation of the AIGatewayRoute this document was built from. */
  generation: z.number().int(),
  hostnames: z.array(z.string()),
  rules: z.array(RuleConfigSchema),
  llmRequestCosts: z.array(LLMRequestCostSchema),
});

export const ConfigIndexSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  shards: z.array(z.string()),
});

export type BackendConfig = z.infer<typeof BackendConfigSchema>;
export type RuleConfig = z.infer<typeof RuleConfigSchema>;
export type RouteConfig = z.infer<typeof RouteConfigSchema>;
export type ConfigIndex = z.infer<typeof ConfigIndexSchema>;

/** What every route document's data key starts with. */
export const ROUTE_ENTRY_PREFIX = "route_";

/** The data key of a route's document. `_` cannot occur in names, so the key is unambiguous. */
export function routeDataKey(namespace: string, name: string): string {
  return `${ROUTE_ENTRY_PREFIX}${namespace}_${name}.json`;
}

/** The route (`namespace/name`) whose document a data key holds, or undefined for other keys. */
export function routeKeyOfDataKey(key: string): string | undefined {
  const match = /^route_([^_]+)_([^_]+)\.json$/.exec(key);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The shard (0 … shardCount-1) that holds a route's document: stable across restarts. */
export function shardOf(namespace: string, name: string, shardCount: number): number {
  const digest = createHash("sha256").update(`${namespace}/${name}`).digest();
  return digest.readUInt32BE(0) % shardCount;
}

/** The name of shard `index` of the configuration Secrets with `prefix`. */
export function shardSecretName(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(2, "0")}`;
}

/**
 * The route key of an Envoy route name (`xds.route_name`): Envoy Gateway names routes
 * `httproute/<namespace>/<name>/rule/<i>/match/<j>/<host>`.
 */
export function routeKeyOfXdsRouteName(
  routeName: string,
): { namespace: string; name: string } | undefined {
  const [kind, namespace, name] = routeName.split("/");
  if (kind !== "httproute" || !namespace || !name) return undefined;
  return { namespace, name };
}
