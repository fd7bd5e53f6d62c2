/**
 * The kinds the module reads and writes, registered with their exact plurals: the fallback
 * (`kind.toLowerCase() + "s"`) would give `backendsecuritypolicys` and `envoyextensionpolicys`,
 * which break webhook rules, RBAC and API URLs.
 */
import { a, RegisterKind } from "pepr";
import type {
  EnvoyExtensionPolicyStatus,
  GatewayBackendObject,
  HTTPRouteStatus,
} from "../api/external-kinds";
import { RESOURCE_TYPES } from "../api/resource-types";
import type {
  AIGatewayRouteSpec,
  AIServiceBackendSpec,
  BackendSecurityPolicySpec,
  Status,
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
  declare status?: HTTPRouteStatus;
}

/** Envoy Gateway Backend: the provider address an AIServiceBackend points at. */
export class Backend extends a.GenericKind {
  declare spec?: GatewayBackendObject["spec"];
  declare status?: GatewayBackendObject["status"];
}

/** Envoy Gateway EnvoyExtensionPolicy, attaching the ext_proc filter to a generated HTTPRoute. */
export class EnvoyExtensionPolicy extends a.GenericKind {
  declare spec?: Record<string, unknown>;
  declare status?: EnvoyExtensionPolicyStatus;
}

/** Envoy Gateway HTTPRouteFilter: the host rewrite and 404 filters of a generated HTTPRoute. */
export class HTTPRouteFilter extends a.GenericKind {
  declare spec?: Record<string, unknown>;
}

/** Envoy Gateway BackendTrafficPolicy: the request buffer of a generated HTTPRoute. */
export class BackendTrafficPolicy extends a.GenericKind {
  declare spec?: Record<string, unknown>;
}

// Each kind with its exact plural, from the one table the API client reads too.
for (const [kindName, model] of Object.entries({
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  Gateway,
  HTTPRoute,
  Backend,
  EnvoyExtensionPolicy,
  HTTPRouteFilter,
  BackendTrafficPolicy,
})) {
  const { group, version, plural } = RESOURCE_TYPES[kindName as keyof typeof RESOURCE_TYPES];
  RegisterKind(model, { group, version, kind: kindName, plural });
}
