/**
 * The REST coordinates of every kind the module reads or writes, in one table: the Pepr kind
 * registrations and the API client both read it, so a plural is never spelt twice.
 */
import type { ResourceType } from "../lib/kube-api";
import { ENVOY_GATEWAY_GROUP, GROUP, KIND_DEFINITIONS, VERSION } from "./v1alpha1";

const GATEWAY_API = "gateway.networking.k8s.io";

const ourKind = (kind: (typeof KIND_DEFINITIONS)[number]["kind"]) => ({
  group: GROUP,
  version: VERSION,
  plural: KIND_DEFINITIONS.find(definition => definition.kind === kind)!.plural,
});

export const RESOURCE_TYPES = {
  AIGatewayRoute: ourKind("AIGatewayRoute"),
  AIServiceBackend: ourKind("AIServiceBackend"),
  BackendSecurityPolicy: ourKind("BackendSecurityPolicy"),
  Gateway: { group: GATEWAY_API, version: "v1", plural: "gateways" },
  HTTPRoute: { group: GATEWAY_API, version: "v1", plural: "httproutes" },
  Backend: { group: ENVOY_GATEWAY_GROUP, version: "v1alpha1", plural: "backends" },
  // The fallback plural (kind + "s") would be "envoyextensionpolicys".
  EnvoyExtensionPolicy: {
    group: ENVOY_GATEWAY_GROUP,
    version: "v1alpha1",
    plural: "envoyextensionpolicies",
  },
  HTTPRouteFilter: { group: ENVOY_GATEWAY_GROUP, version: "v1alpha1", plural: "httproutefilters" },
  BackendTrafficPolicy: {
    group: ENVOY_GATEWAY_GROUP,
    version: "v1alpha1",
    plural: "backendtrafficpolicies",
  },
  Secret: { group: "", version: "v1", plural: "secrets" },
  Namespace: { group: "", version: "v1", plural: "namespaces" },
  Event: { group: "", version: "v1", plural: "events" },
} as const satisfies Record<string, ResourceType>;

export type ResourceKind = keyof typeof RESOURCE_TYPES;
