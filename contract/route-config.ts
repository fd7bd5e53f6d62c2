/**
 * The configuration document the ext_proc server reads, written by the control plane. This module
 * is the contract between the two halves: change it only together with its `CONFIG_VERSION`.
 *
 * Layout in the cluster: one Secret per AIGatewayRoute in the ext_proc server's namespace, named
 * `configSecretName(prefix, namespace, name)` (so a request's route finds its document directly),
 * labelled `aigateway.envoyproxy.io/config: <prefix>` (the index: one list or watch finds them all),
 * with the document under the data key `CONFIG_DATA_KEY`.
 *
 * Why not a few shared Secrets: the API server rewrites a whole Secret on every change, at a cost
 * that grows with its size (measured on the local control plane: 9 ms of CPU per patch at 30 KB,
 * 25 ms at 150 KB, 52 ms at 300 KB), so shards make every route change pay for its neighbours, and
 * each shard needs watching as it nears the 1 MiB object limit. A route's own Secret costs the same
 * to write whatever else exists, and stays far below the limit.
 */
import { z } from "zod";
import { shortenedName } from "../lib/short-name";
import {
  HTTPBodyMutationSchema,
  HTTPHeaderMatchSchema,
  HTTPHeaderMutationSchema,
  LLMRequestCostSchema,
  VersionedAPISchemaSchema,
} from "../api/v1alpha1";
import { BackendAuthConfigSchema } from "./credentials";

export const CONFIG_VERSION = "aigw.config/v3";

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

/**
 * A rule's timeouts in milliseconds, 0 for none: the HTTPRoute carries the same ones, which Envoy
 * enforces in a cluster; the data plane bounds its own fallbacks by them, and `ai-gateway run`,
 * being the proxy, enforces them itself.
 */
export const RuleTimeoutsSchema = z.strictObject({
  /** The whole request, fallbacks included. */
  requestMs: z.number().int().min(0),
  /** Each attempt at a backend; the request's timeout bounds it when absent. */
  backendRequestMs: z.number().int().min(0).optional(),
});

export const RuleConfigSchema = z.strictObject({
  name: z.string().optional(),
  /** Any of these matches selects the rule; none means every request. */
  matches: z.array(z.strictObject({ headers: z.array(HTTPHeaderMatchSchema) })),
  backends: z.array(BackendConfigSchema),
  timeouts: RuleTimeoutsSchema,
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

export type BackendConfig = z.infer<typeof BackendConfigSchema>;
export type RuleConfig = z.infer<typeof RuleConfigSchema>;
export type RuleTimeouts = z.infer<typeof RuleTimeoutsSchema>;
export type RouteConfig = z.infer<typeof RouteConfigSchema>;

/**
 * The label of every route configuration Secret; its value is the Secret name prefix, so one label
 * selector finds them all.
 */
export const CONFIG_LABEL = "aigateway.envoyproxy.io/config";

/** The data key of the document in a route's configuration Secret. */
export const CONFIG_DATA_KEY = "route.json";

/** The annotation that names a configuration Secret's route (`namespace/name`), for any length. */
export const CONFIG_ROUTE_ANNOTATION = "aigateway.envoyproxy.io/route";

const MAX_NAME = 253;

/**
 * The name of a route's configuration Secret: `<prefix>.<namespace>.<name>`. A namespace has no
 * dots, so the name is unambiguous; one longer than the 253-character limit is shortened with a
 * hash of the route.
 */
export function configSecretName(prefix: string, namespace: string, name: string): string {
  const full = `${prefix}.${namespace}.${name}`;
  if (full.length <= MAX_NAME) return full;
  return shortenedName(full, MAX_NAME, `${namespace}/${name}`, { hashLength: 16, trim: /[.-]+$/ });
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
