/**
 * The kinds the module reads and writes, registered with their exact plurals: the fallback
 * (`kind.toLowerCase() + "s"`) would give `backendsecuritypolicys` and `envoyextensionpolicys`,
 * which break webhook rules, RBAC and API URLs.
 */
import { a, RegisterKind } from "pepr";
import {
  AIGatewayRouteSpec,
  AIServiceBackendSpec,
  BackendSecurityPolicySpec,
  GROUP,
  Status,
  VERSION,
} from "../api/v1alpha1";

export class AIGatewayRoute extends a.GenericKind {
  declare spec: AIGatewayRouteSpec;
  declare status?: Status;
}

export class AIServiceBackend extends a.GenericKind {
  declare spec: AIServiceBackendSpec;
  declare status?: Status;
}

export class BackendSecurityPolicy extends a.GenericKind {
  declare spec: BackendSecurityPolicySpec;
  declare status?: Status;
}

/** Gateway API Gateway; only looked up by name. */
export class Gateway extends a.GenericKind {
  declare spec?: Record<string, unknown>;
}

/** Gateway API HTTPRoute, generated for each AIGatewayRoute. */
export class HTTPRoute extends a.GenericKind {
  declare spec?: Record<string, unknown>;
  declare status?: Record<string, unknown>;
}

/** Envoy Gateway Backend: the provider address an AIServiceBackend points at. */
export class Backend extends a.GenericKind {
  declare spec?: Record<string, unknown>;
  declare status?: Record<string, unknown>;
}

/** Envoy Gateway EnvoyExtensionPolicy, attaching the ext_proc filter to a generated HTTPRoute. */
export class EnvoyExtensionPolicy extends a.GenericKind {
  declare spec?: Record<string, unknown>;
  declare status?: Record<string, unknown>;
}

/** Envoy Gateway HTTPRouteFilter: the host rewrite and 404 filters of a generated HTTPRoute. */
export class HTTPRouteFilter extends a.GenericKind {
  declare spec?: Record<string, unknown>;
}

RegisterKind(AIGatewayRoute, {
  group: GROUP,
  version: VERSION,
  kind: "AIGatewayRoute",
  plural: "aigatewayroutes",
});
RegisterKind(AIServiceBackend, {
  group: GROUP,
  version: VERSION,
  kind: "AIServiceBackend",
  plural: "aiservicebackends",
});
RegisterKind(BackendSecurityPolicy, {
  group: GROUP,
  version: VERSION,
  kind: "BackendSecurityPolicy",
  plural: "backendsecuritypolicies",
});
RegisterKind(Gateway, {
  group: "gateway.networking.k8s.io",
  version: "v1",
  kind: "Gateway",
  plural: "gateways",
});
RegisterKind(HTTPRoute, {
  group: "gateway.networking.k8s.io",
  version: "v1",
  kind: "HTTPRoute",
  plural: "httproutes",
});
RegisterKind(Backend, {
  group: "gateway.envoyproxy.io",
  version: "v1alpha1",
  kind: "Backend",
  plural: "backends",
});
RegisterKind(EnvoyExtensionPolicy, {
  group: "gateway.envoyproxy.io",
  version: "v1alpha1",
  kind: "EnvoyExtensionPolicy",
  plural: "envoyextensionpolicies",
});
RegisterKind(HTTPRouteFilter, {
  group: "gateway.envoyproxy.io",
  version: "v1alpha1",
  kind: "HTTPRouteFilter",
  plural: "httproutefilters",
});
