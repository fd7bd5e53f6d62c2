/**
 * The objects of other APIs (core Kubernetes, Gateway API, Envoy Gateway) as far as this project
 * reads them. Never parsed: the API server has validated them against their own schemas.
 */
import type { ObjectMeta } from "./v1alpha1";

/** A status condition as Gateway API and Envoy Gateway write them. */
export interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** The generation of the object the condition was written for. */
  observedGeneration?: number;
}

export interface SecretObject {
  metadata?: ObjectMeta;
  data?: Record<string, string>;
}

/** An Envoy Gateway Backend: a provider's address, or the ext_proc server's. */
export interface GatewayBackendObject {
  metadata?: ObjectMeta;
  spec?: {
    endpoints?: Array<{
      fqdn?: { hostname: string; port: number };
      ip?: { address: string; port: number };
    }>;
    tls?: unknown;
  };
  status?: { conditions?: StatusCondition[] };
}

export interface HTTPRouteStatus {
  parents?: Array<{ parentRef?: { name?: string }; conditions?: StatusCondition[] }>;
}

/** A Gateway API HTTPRoute; the controller reads the status of those it generates. */
export interface HTTPRouteObject {
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: HTTPRouteStatus;
}

export interface EnvoyExtensionPolicyStatus {
  ancestors?: Array<{ ancestorRef?: { name?: string }; conditions?: StatusCondition[] }>;
}

/** An Envoy Gateway EnvoyExtensionPolicy; the controller reads the status of those it generates. */
export interface EnvoyExtensionPolicyObject {
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: EnvoyExtensionPolicyStatus;
}

/** An Envoy Gateway HTTPRouteFilter; only its existence matters. */
export interface HTTPRouteFilterObject {
  metadata?: ObjectMeta;
  spec?: unknown;
}

/**
 * An Envoy Gateway BackendTrafficPolicy (the generated request buffer); only its existence matters:
 * without it small requests still work, so it does not hold up the route's Accepted condition.
 */
export type BackendTrafficPolicyObject = HTTPRouteFilterObject;
