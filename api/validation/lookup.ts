/** The kinds a validator may look up by reference. */
export type ReferencedKind = "Gateway" | "Backend" | "AIServiceBackend" | "Secret";

/** A BackendSecurityPolicy as another policy's validator needs to see it. */
export interface ExistingPolicy {
  name: string;
  targetNames: string[];
}

/**
 * Read access to the objects a resource refers to. The admission webhook backs it with the API
 * server; the CLI with the objects in the files it was given.
 */
export interface ReferenceLookup {
  exists(kind: ReferencedKind, namespace: string, name: string): Promise<boolean>;
  /** The names of the objects of `kind` in `namespace`: one read for many references. */
  namesIn(kind: ReferencedKind, namespace: string): Promise<Set<string>>;
  /** The Secret's data keys, or `undefined` when the Secret does not exist. */
  secretKeys(namespace: string, name: string): Promise<string[] | undefined>;
  /** The BackendSecurityPolicies in a namespace. */
  backendSecurityPolicies(namespace: string): Promise<ExistingPolicy[]>;
}
