/** Read access to the objects a reconcile needs, from a store the watches keep current. */
import type { AIServiceBackendSpec, BackendSecurityPolicySpec, Status } from "../api/v1alpha1";

export interface NamedObject {
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number };
}

export interface AIServiceBackendObject extends NamedObject {
  spec: AIServiceBackendSpec;
  status?: Status;
}

export interface BackendSecurityPolicyObject extends NamedObject {
  spec: BackendSecurityPolicySpec;
  status?: Status;
}

/** An Envoy Gateway Backend, as far as the controller reads it. */
export interface GatewayBackendObject extends NamedObject {
  spec?: {
    endpoints?: Array<{
      fqdn?: { hostname: string; port: number };
      ip?: { address: string; port: number };
    }>;
    tls?: unknown;
  };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface SecretObject extends NamedObject {
  data?: Record<string, string>;
}

export interface ClusterView {
  aiServiceBackend(namespace: string, name: string): AIServiceBackendObject | undefined;
  gatewayBackend(namespace: string, name: string): GatewayBackendObject | undefined;
  /** The BackendSecurityPolicies in `namespace` that target the AIServiceBackend `name`. */
  policiesTargeting(namespace: string, name: string): BackendSecurityPolicyObject[];
  secret(namespace: string, name: string): SecretObject | undefined;
}
