/** Read access to the objects a reconcile needs, from a store the watches keep current. */
import type { GatewayBackendObject, SecretObject } from "../api/external-kinds";
import type { AIServiceBackend, BackendSecurityPolicy } from "../api/v1alpha1";

export interface ClusterView {
  aiServiceBackend(namespace: string, name: string): AIServiceBackend | undefined;
  gatewayBackend(namespace: string, name: string): GatewayBackendObject | undefined;
  /** The BackendSecurityPolicies in `namespace` that target the AIServiceBackend `name`. */
  policiesTargeting(namespace: string, name: string): BackendSecurityPolicy[];
  secret(namespace: string, name: string): SecretObject | undefined;
}
