import type { ExistingPolicy, ReferencedKind, ReferenceLookup } from "../../api/validation/lookup";
import type { BackendSecurityPolicySpec } from "../../api/v1alpha1";
import { RESOURCE_TYPES } from "../../api/resource-types";
import { KubeApi, KubeApiError } from "../../lib/kube-api";
import { componentLogger } from "../../lib/logger";

const log = componentLogger("admission.lookup");

/** A lookup the API server could not answer (anything but "not found"). */
export class LookupError extends Error {
  readonly code = "LookupFailed";
  constructor(what: string, status: number | undefined) {
    super(`could not read ${what} from the API server (HTTP ${status ?? "error"})`);
  }
}

/**
 * Admission only warns about missing references, so the API server's watch cache (which may lag by
 * moments) is good enough, and spares it a read from etcd for every reference of every request.
 */
const FROM_CACHE = { resourceVersion: "0" };

const statusOf = (error: unknown) => (error instanceof KubeApiError ? error.status : undefined);

/** Looks references up in the API server; "not found" is an answer, any other failure throws. */
export class ClusterLookup implements ReferenceLookup {
  constructor(private readonly api: () => Promise<KubeApi>) {}

  async exists(referenced: ReferencedKind, namespace: string, name: string): Promise<boolean> {
    const found = await this.read(`${referenced} ${namespace}/${name}`, async () =>
      (await this.api()).get({ ...RESOURCE_TYPES[referenced], namespace, name }, FROM_CACHE),
    );
    return found !== undefined;
  }

  async namesIn(referenced: ReferencedKind, namespace: string): Promise<Set<string>> {
    const items = await this.read(`the ${referenced}s in ${namespace}`, async () =>
      (await this.api()).list<{ metadata?: { name?: string } }>(
        { ...RESOURCE_TYPES[referenced], namespace },
        { ...FROM_CACHE, metadataOnly: true },
      ),
    );
    return new Set(items.map(item => item.metadata?.name ?? ""));
  }

  async secretKeys(namespace: string, name: string): Promise<string[] | undefined> {
    const secret = await this.read(`Secret ${namespace}/${name}`, async () =>
      (await this.api()).get<{ data?: Record<string, string> }>(
        { ...RESOURCE_TYPES.Secret, namespace, name },
        FROM_CACHE,
      ),
    );
    // Only the key names are read; the values never leave the API server's answer.
    return secret && Object.keys(secret.data ?? {});
  }

  async backendSecurityPolicies(namespace: string): Promise<ExistingPolicy[]> {
    const policies = await this.read(`the BackendSecurityPolicies in ${namespace}`, async () =>
      (await this.api()).list<{ metadata?: { name?: string }; spec?: BackendSecurityPolicySpec }>({
        ...RESOURCE_TYPES.BackendSecurityPolicy,
        namespace,
      }),
    );
    return policies.map(policy => ({
      name: policy.metadata?.name ?? "",
      targetNames: (policy.spec?.targetRefs ?? []).map(target => target.name),
    }));
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      log.warn("reference lookup failed", { what, status: statusOf(error) });
      throw new LookupError(what, statusOf(error));
    }
  }
}
