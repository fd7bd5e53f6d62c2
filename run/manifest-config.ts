/**
 * The routes `run` serves, from manifests: `${ENV}` references filled in, then the admission
 * webhook's validation and the controller's resolution and route documents, so that a file runs
 * locally exactly as it would configure the cluster's data plane.
 */
import { buildRouteConfig } from "../builders/route-config";
import type { RouteConfig } from "../contract/route-config";
import type { RouteStore } from "../pipeline/route-store";
import {
  describeManifest,
  resolveManifestRoutes,
  type SourcedManifest,
} from "../resolve/manifest-routes";
import { substituteEnv } from "./env-substitution";

/** A configuration that cannot be served; `messages` name the file and object of each problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly messages: string[]) {
    super(messages.join("\n"));
  }
}

export interface ManifestConfig {
  routes: RouteConfig[];
  /** References to objects not in the files, and backends that cannot serve (left out). */
  warnings: string[];
}

/**
 * The route documents of `inputs`.
 * @throws ConfigError with the validators' messages, an unset variable, or no AIGatewayRoute.
 */
export async function configFromManifests(
  inputs: readonly SourcedManifest[],
  env: Record<string, string | undefined>,
): Promise<ManifestConfig> {
  const substituted = substituteEnv(inputs, env);
  if (substituted.errors.length > 0) throw new ConfigError(substituted.errors);
  const { routes, errors, warnings } = await resolveManifestRoutes(substituted.inputs);
  if (errors.length > 0) throw new ConfigError(errors);
  if (routes.length === 0) {
    const sources = [...new Set(inputs.map(input => input.source))].join(", ");
    throw new ConfigError([
      `${sources || "the input"}: no AIGatewayRoute: run serves the routes of AIGatewayRoutes, with the AIServiceBackends, BackendSecurityPolicies, Backends and Secrets they refer to`,
    ]);
  }
  const unusable = routes.flatMap(({ input, inputs: resolved }) =>
    [...resolved.backends.values()].flatMap(backend =>
      backend.problem
        ? [
            `${describeManifest(input)}: backend ${backend.id} cannot serve: ${backend.problem.message}`,
          ]
        : [],
    ),
  );
  return {
    routes: routes.map(({ inputs: resolved }) => buildRouteConfig(resolved)),
    warnings: [...warnings, ...unusable],
  };
}

/**
 * Serves exactly `routes` from `store`: each is loaded (replacing its previous document), and a
 * route no longer configured is removed.
 */
export function serveRoutes(
  store: RouteStore,
  routes: readonly RouteConfig[],
  source: string,
): void {
  const keys = new Set(routes.map(route => store.load(route, source)));
  for (const key of store.keys()) if (!keys.has(key)) store.remove(key);
}
