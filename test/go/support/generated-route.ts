/** The objects generated for each AIGatewayRoute, as read back from a golden file. */
import {
  CONFIG_DATA_KEY,
  RouteConfigSchema,
  type RouteConfig,
} from "../../../contract/route-config";
import {
  field,
  objectsOf,
  type Condition,
  type TranslatedObject,
  type Xds,
} from "./egctl-translation";

/** One AIGatewayRoute's generated objects, from the golden file. */
export interface GeneratedRoute {
  namespace: string;
  name: string;
  httpRoute: TranslatedObject;
  policy: TranslatedObject;
  trafficPolicy: TranslatedObject;
  document: RouteConfig;
}

/**
 * The routes of a golden file, one per configuration Secret (its route document), with the
 * objects generated for that route.
 */
export function generatedRoutes(goldenYaml: string): GeneratedRoute[] {
  const objects = objectsOf(goldenYaml);
  return objects
    .filter(o => o.kind === "Secret")
    .map(secret => {
      const raw = field<string>(secret, "stringData", CONFIG_DATA_KEY) ?? "";
      const document = RouteConfigSchema.parse(JSON.parse(raw));
      const { namespace, name } = document;
      const inRoute = (kind: string) => (o: TranslatedObject) =>
        o.kind === kind && o.metadata.namespace === namespace;
      const targeting = (kind: string) =>
        objects.find(
          o =>
            inRoute(kind)(o) &&
            field<Array<{ name: string }>>(o, "spec", "targetRefs")?.[0]?.name === name,
        );
      const httpRoute = objects.find(o => inRoute("HTTPRoute")(o) && o.metadata.name === name);
      const policy = targeting("EnvoyExtensionPolicy");
      const trafficPolicy = targeting("BackendTrafficPolicy");
      if (!httpRoute || !policy || !trafficPolicy) {
        throw new Error(
          `the golden file has the configuration of ${namespace}/${name} but not its HTTPRoute, EnvoyExtensionPolicy and BackendTrafficPolicy`,
        );
      }
      return { namespace, name, httpRoute, policy, trafficPolicy, document };
    });
}

export const conditionsOf = (object: TranslatedObject | undefined): Condition[] =>
  object?.status?.conditions ?? [];
/** What is not `True` among the `types` conditions, as readable lines. */
export const problemsOf = (what: string, conditions: Condition[] | undefined, types: string[]) =>
  types.flatMap(type => {
    const condition = conditions?.find(c => c.type === type);
    if (condition?.status === "True") return [];
    return [
      condition
        ? `${what}: ${type} is ${condition.status} (${condition.reason}: ${condition.message})`
        : `${what}: no ${type} condition`,
    ];
  });

/** Whether an Envoy route was made from the route's HTTPRoute (Envoy Gateway's route metadata). */
export const ourEnvoyRoute = (route: GeneratedRoute) => (envoyRoute: Xds) =>
  field<Array<{ kind: string; name: string; namespace: string }>>(
    envoyRoute,
    "metadata",
    "filterMetadata",
    "envoy-gateway",
    "resources",
  )?.some(r => r.kind === "HTTPRoute" && r.namespace === route.namespace && r.name === route.name);
