/**
 * The objects in a fixed set of manifests, such as the files given to the CLI, seen both as the
 * validators' `ReferenceLookup` and as the resolver's `ClusterView`, so a file is read the same way
 * wherever it is used. Objects without a namespace are in `defaultNamespace`.
 */
import type { GatewayBackendObject, SecretObject } from "../api/external-kinds";
import type { ExistingPolicy, ReferencedKind, ReferenceLookup } from "../api/validation/lookup";
import {
  AIServiceBackend,
  AIServiceBackendSchema,
  BackendSecurityPolicy,
  BackendSecurityPolicySchema,
} from "../api/v1alpha1";
import type { ClusterView } from "./cluster-view";

/** A Kubernetes object as read from a file: nothing is known of it but its kind and name. */
export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  [field: string]: unknown;
}

const stringRecord = (value: unknown): Record<string, string> =>
  typeof value === "object" && value !== null
    ? Object.fromEntries(
        Object.entries(value).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      )
    : {};

export class ManifestSet implements ReferenceLookup, ClusterView {
  private readonly backends: AIServiceBackend[];
  private readonly policies: BackendSecurityPolicy[];

  constructor(
    private readonly manifests: readonly Manifest[],
    private readonly defaultNamespace = "default",
  ) {
    // Only objects that parse can be resolved; the validators report the others.
    this.backends = this.parsed("AIServiceBackend", AIServiceBackendSchema.safeParse);
    this.policies = this.parsed("BackendSecurityPolicy", BackendSecurityPolicySchema.safeParse);
  }

  private parsed<T>(kind: string, parse: (value: unknown) => { success: boolean; data?: T }): T[] {
    return this.manifests
      .filter(m => m.kind === kind)
      .flatMap(m => {
        const result = parse(m);
        return result.success && result.data ? [result.data] : [];
      });
  }

  private namespaceOf(object: { metadata?: { namespace?: string } }): string {
    return object.metadata?.namespace ?? this.defaultNamespace;
  }

  private find(kind: string, namespace: string, name: string): Manifest | undefined {
    return this.manifests.find(
      m => m.kind === kind && m.metadata?.name === name && this.namespaceOf(m) === namespace,
    );
  }

  // ReferenceLookup

  async exists(kind: ReferencedKind, namespace: string, name: string): Promise<boolean> {
    return this.find(kind, namespace, name) !== undefined;
  }

  async namesIn(kind: ReferencedKind, namespace: string): Promise<Set<string>> {
    return new Set(
      this.manifests
        .filter(m => m.kind === kind && this.namespaceOf(m) === namespace)
        .map(m => m.metadata?.name ?? ""),
    );
  }

  async secretKeys(namespace: string, name: string): Promise<string[] | undefined> {
    const secret = this.secret(namespace, name);
    return secret && Object.keys(secret.data ?? {});
  }

  async backendSecurityPolicies(namespace: string): Promise<ExistingPolicy[]> {
    return this.policies
      .filter(p => this.namespaceOf(p) === namespace)
      .map(p => ({
        name: p.metadata?.name ?? "",
        targetNames: (p.spec.targetRefs ?? []).map(t => t.name),
      }));
  }

  // ClusterView

  aiServiceBackend(namespace: string, name: string): AIServiceBackend | undefined {
    return this.backends.find(b => b.metadata?.name === name && this.namespaceOf(b) === namespace);
  }

  gatewayBackend(namespace: string, name: string): GatewayBackendObject | undefined {
    return this.find("Backend", namespace, name);
  }

  policiesTargeting(namespace: string, name: string): BackendSecurityPolicy[] {
    return this.policies.filter(
      p =>
        this.namespaceOf(p) === namespace && (p.spec.targetRefs ?? []).some(t => t.name === name),
    );
  }

  /** Secrets in files often use `stringData`; the API server would have turned it into `data`. */
  secret(namespace: string, name: string): SecretObject | undefined {
    const secret = this.find("Secret", namespace, name);
    if (!secret) return undefined;
    const fromStringData = Object.entries(stringRecord(secret.stringData)).map(([key, value]) => [
      key,
      Buffer.from(value).toString("base64"),
    ]);
    return {
      metadata: secret.metadata,
      data: { ...stringRecord(secret.data), ...Object.fromEntries(fromStringData) },
    };
  }
}
