/** The ext_proc configuration document of one AIGatewayRoute. */
import {
  AIGatewayRouteRuleBackendRef,
  HTTPBodyMutation,
  HTTPHeaderMutation,
  HTTPRouteTimeouts,
  timestampText,
} from "../api/v1alpha1";
import {
  BackendConfig,
  CONFIG_DATA_KEY,
  CONFIG_LABEL,
  CONFIG_ROUTE_ANNOTATION,
  CONFIG_VERSION,
  configSecretName,
  RouteConfig,
  RuleTimeouts,
} from "../contract/route-config";
import { durationToMs } from "./durations";
import { DEFAULT_REQUEST_TIMEOUT } from "./http-route";
import { MANAGED_BY, MANAGED_BY_LABEL } from "./metadata";
import type { ControllerSettings } from "../controller/settings";
import { backendIdOf, ResolvedBackend, RouteInputs } from "../resolve/resolved";

/** Backend-level and route-level header changes; the route's win for the same header. */
export function mergeHeaderMutations(
  backend: HTTPHeaderMutation | undefined,
  route: HTTPHeaderMutation | undefined,
): HTTPHeaderMutation | undefined {
  if (!backend && !route) return undefined;
  const set = new Map<string, { name: string; value: string }>();
  for (const header of [...(backend?.set ?? []), ...(route?.set ?? [])])
    set.set(header.name.toLowerCase(), header);
  const remove = [
    ...new Set([...(backend?.remove ?? []), ...(route?.remove ?? [])].map(h => h.toLowerCase())),
  ];
  return { ...(set.size ? { set: [...set.values()] } : {}), ...(remove.length ? { remove } : {}) };
}

/** Backend-level and route-level body changes; the route's win for the same field. */
export function mergeBodyMutations(
  backend: HTTPBodyMutation | undefined,
  route: HTTPBodyMutation | undefined,
): HTTPBodyMutation | undefined {
  if (!backend && !route) return undefined;
  const set = new Map<string, { path: string; value: string }>();
  for (const field of [...(backend?.set ?? []), ...(route?.set ?? [])]) set.set(field.path, field);
  const remove = [...new Set([...(backend?.remove ?? []), ...(route?.remove ?? [])])];
  return { ...(set.size ? { set: [...set.values()] } : {}), ...(remove.length ? { remove } : {}) };
}

function backendConfig(
  ref: AIGatewayRouteRuleBackendRef,
  backend: ResolvedBackend,
): BackendConfig | undefined {
  if (!backend.spec || backend.problem) return undefined;
  const headerMutation = mergeHeaderMutations(backend.spec.headerMutation, ref.headerMutation);
  const bodyMutation = mergeBodyMutations(backend.spec.bodyMutation, ref.bodyMutation);
  return {
    id: backend.id,
    schema: backend.spec.schema,
    ...(backend.endpoint ? { endpoint: backend.endpoint } : {}),
    weight: ref.weight,
    priority: ref.priority,
    ...(ref.modelNameOverride ? { modelNameOverride: ref.modelNameOverride } : {}),
    ...(headerMutation ? { headerMutation } : {}),
    ...(bodyMutation ? { bodyMutation } : {}),
    ...(backend.auth ? { auth: backend.auth } : {}),
  };
}

/** A rule's timeouts as the HTTPRoute gets them (the request's defaults to 60 s), in ms. */
function ruleTimeouts(timeouts: HTTPRouteTimeouts | undefined): RuleTimeouts {
  const { backendRequest } = timeouts ?? {};
  return {
    requestMs: durationToMs(timeouts?.request ?? DEFAULT_REQUEST_TIMEOUT),
    ...(backendRequest ? { backendRequestMs: durationToMs(backendRequest) } : {}),
  };
}

/**
 * The route's document: its rules with their matches and the backends that can serve (with weights,
 * priorities, overrides, merged mutations and resolved credentials), and its costs. Backends that do
 * not resolve are left out, so the data plane never selects them.
 */
export function buildRouteConfig({ route, backends }: RouteInputs): RouteConfig {
  const { creationTimestamp } = route.metadata;
  const createdAt = creationTimestamp ? timestampText(creationTimestamp) : "";
  return {
    version: CONFIG_VERSION,
    namespace: route.metadata.namespace,
    name: route.metadata.name,
    generation: route.metadata.generation ?? 0,
    hostnames: route.spec.hostnames ?? [],
    rules: route.spec.rules.map(rule => ({
      ...(rule.name ? { name: rule.name } : {}),
      matches: (rule.matches ?? []).map(match => ({ headers: match.headers ?? [] })),
      backends: (rule.backendRefs ?? []).flatMap(ref => {
        const backend = backends.get(backendIdOf(route, ref));
        const config = backend && backendConfig(ref, backend);
        return config ? [config] : [];
      }),
      timeouts: ruleTimeouts(rule.timeouts),
      modelsOwnedBy: rule.modelsOwnedBy,
      modelsCreatedAt: rule.modelsCreatedAt ?? createdAt,
    })),
    llmRequestCosts: route.spec.llmRequestCosts ?? [],
  };
}

/**
 * The Secret that carries a route's document to the ext_proc server, in the server's namespace.
 * It has no owner reference (owners must share its namespace): the controller deletes it with the
 * route. The controller writes `data` (compact JSON); `forReading` gives `stringData` with indented
 * JSON instead, as the CLI prints it (the API server stores both the same way).
 */
export function buildConfigSecret(
  document: RouteConfig,
  settings: Pick<ControllerSettings, "configSecretPrefix" | "extProcNamespace">,
  options: { forReading?: boolean } = {},
) {
  const payload = options.forReading
    ? { stringData: { [CONFIG_DATA_KEY]: JSON.stringify(document, null, 2) } }
    : { data: { [CONFIG_DATA_KEY]: Buffer.from(JSON.stringify(document)).toString("base64") } };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: configSecretName(settings.configSecretPrefix, document.namespace, document.name),
      namespace: settings.extProcNamespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [CONFIG_LABEL]: settings.configSecretPrefix },
      annotations: { [CONFIG_ROUTE_ANNOTATION]: `${document.namespace}/${document.name}` },
    },
    type: "Opaque",
    ...payload,
  };
}
