import type { ExistingPolicy, ReferencedKind, ReferenceLookup } from "./lookup";

/** The parts of a Kubernetes object a lookup needs. */
export interface ManifestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: unknown;
}

/**
 * A `ReferenceLookup` over a fixed set of objects, such as the files given to the CLI. Objects
 * without a namespace are taken to be in `defaultNamespace`.
 */
export class ObjectSetLookup implements ReferenceLookup {
  constructor(
    private readonly objects: readonly ManifestObject[],
    private readonly defaultNamespace = "default",
  ) {}

  private find(kind: string, namespace: string, name: string): ManifestObject | undefined {
    return this.objects.find(
      o =>
        o.kind === kind &&
        o.metadata?.name === name &&
        (o.metadata?.namespace ?? this.defaultNamespace) === namespace,
    );
  }

  async exists(kind: ReferencedKind, namespace: string, name: string): Promise<boolean> {
    return this.find(kind, namespace, name) !== undefined;
  }

  async namesIn(kind: ReferencedKind, namespace: string): Promise<Set<string>> {
    return new Set(
      this.objects
        .filter(
          o => o.kind === kind && (o.metadata?.namespace ?? this.defaultNamespace) === namespace,
        )
        .map(o => o.metadata?.name ?? ""),
    );
  }

  async secretKeys(namespace: string, name: string): Promise<string[] | undefined> {
    const secret = this.find("Secret", namespace, name);
    if (!secret) return undefined;
    return [...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})];
  }

  async backendSecurityPolicies(namespace: string): Promise<ExistingPolicy[]> {
    return this.objects
      .filter(
        o =>
          o.kind === "BackendSecurityPolicy" &&
          (o.metadata?.namespace ?? this.defaultNamespace) === namespace,
      )
      .map(o => ({
        name: o.metadata?.name ?? "",
        targetNames: ((o.spec as { targetRefs?: Array<{ name: string }> })?.targetRefs ?? []).map(
          t => t.name,
        ),
      }));
  }
}
