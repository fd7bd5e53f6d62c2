/** A `ClusterView` over a fixed set of manifests, such as the files given to the CLI. */
import type {
  AIServiceBackendObject,
  BackendSecurityPolicyObject,
  ClusterView,
  GatewayBackendObject,
  SecretObject,
} from "./cluster-view";

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  [field: string]: unknown;
}

export class ObjectSetView implements ClusterView {
  constructor(
    private readonly objects: readonly Manifest[],
    private readonly defaultNamespace = "default",
  ) {}

  private namespaceOf(object: Manifest): string {
    return object.metadata?.namespace ?? this.defaultNamespace;
  }

  private find<T>(kind: string, namespace: string, name: string): T | undefined {
    return this.objects.find(
      o => o.kind === kind && o.metadata?.name === name && this.namespaceOf(o) === namespace,
    ) as T | undefined;
  }

  aiServiceBackend(namespace: string, name: string) {
    return this.find<AIServiceBackendObject>("AIServiceBackend", namespace, name);
  }

  gatewayBackend(namespace: string, name: string) {
    return this.find<GatewayBackendObject>("Backend", namespace, name);
  }

  policiesTargeting(namespace: string, name: string): BackendSecurityPolicyObject[] {
    return this.objects.filter(
      o =>
        o.kind === "BackendSecurityPolicy" &&
        this.namespaceOf(o) === namespace &&
        ((o.spec as BackendSecurityPolicyObject["spec"])?.targetRefs ?? []).some(
          t => t.name === name,
        ),
    ) as unknown as BackendSecurityPolicyObject[];
  }

  /** Secrets from files often use `stringData`; the API server would have turned it into `data`. */
  secret(namespace: string, name: string): SecretObject | undefined {
    const secret = this.find<SecretObject & { stringData?: Record<string, string> }>(
      "Secret",
      namespace,
      name,
    );
    if (!secret) return undefined;
    const fromStringData = Object.entries(secret.stringData ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v).toString("base64"),
    ]);
    return { ...secret, data: { ...secret.data, ...Object.fromEntries(fromStringData) } };
  }
}
