/**
 * The REST coordinates of every kind the module reads or writes, in one table: the Pepr kind
 * registrations and the API client both read it, so a plural is never spelt twice.
 */
import { ENVOY_GATEWAY_GROUP, GROUP, VERSION } from "../api/v1alpha1";
import type { ResourceType } from "../lib/kube-api";

const GATEWAY_API = "gateway.networking.k8s.io";

export const RESOURCE_TYPES = {
  AIGatewayRoute: { group: GROUP, version: VERSION, plural: "aigatewayroutes" },
  AIServiceBackend: { group: GROUP, version: VERSION, plural: "aiservicebackends" },
  // The fallback plural (kind + "s") would be "backendsecuritypolicys".
  BackendSecurityPolicy: { group: GROUP, version: VERSION, plural: "backendsecuritypolicies" },
  Gateway: { group: GATEWAY_API, version: "v1", plural: "gateways" },
  HTTPRoute: { group: GATEWAY_API, version: "v1", plural: "httproutes" },
  Backend: { group: ENVOY_GATEWAY_GROUP, version: "v1alpha1", plural: "backends" },
  EnvoyExtensionPolicy: {
    group: ENVOY_GATEWAY_GROUP,
    version: "v1alpha1",
    plural: "envoyextensionpolicies",
  },
  HTTPRouteFilter: { group: ENVOY_GATEWAY_GROUP, version: "v1alpha1", plural: "httproutefilters" },
  Secret: { group: "", version: "v1", plural: "secrets" },
  Namespace: { group: "", version: "v1", plural: "namespaces" },
  Event: { group: "", version: "v1", plural: "events" },
} as const satisfies Record<string, ResourceType>;

export type ResourceKind = keyof typeof RESOURCE_TYPES;
