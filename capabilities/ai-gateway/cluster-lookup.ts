import { K8s, kind } from "pepr";
import type { ExistingPolicy, ReferencedKind, ReferenceLookup } from "../../api/validation/lookup";
import { componentLogger } from "../../lib/logger";
import { AIServiceBackend, Backend, BackendSecurityPolicy, Gateway } from "../kinds";

const log = componentLogger("admission.lookup");

const MODELS = { Gateway, Backend, AIServiceBackend, Secret: kind.Secret } as const;

/** kfc rejects with the HTTP response, not an Error. */
const statusOf = (error: unknown) => (error as { status?: number })?.status;

/** A lookup the API server could not answer (anything but "not found"). */
export class LookupError extends Error {
  readonly code = "LookupFailed";
  constructor(what: string, status: number | undefined) {
    super(`could not read ${what} from the API server (HTTP ${status ?? "error"})`);
  }
}

/** Looks references up in the API server; "not found" is an answer, any other failure throws. */
export class ClusterLookup implements ReferenceLookup {
  async exists(referenced: ReferencedKind, namespace: string, name: string): Promise<boolean> {
    try {
      await K8s(MODELS[referenced]).InNamespace(namespace).Get(name);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      log.warn("reference lookup failed", {
        kind: referenced,
        namespace,
        name,
        status: statusOf(error),
      });
      throw new LookupError(`${referenced} ${namespace}/${name}`, statusOf(error));
    }
  }

  async secretKeys(namespace: string, name: string): Promise<string[] | undefined> {
    try {
      const secret = await K8s(kind.Secret).InNamespace(namespace).Get(name);
      // Only the key names are read; the values never leave the API server's answer.
      return Object.keys(secret.data ?? {});
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      log.warn("secret lookup failed", { namespace, name, status: statusOf(error) });
      throw new LookupError(`Secret ${namespace}/${name}`, statusOf(error));
    }
  }

  async backendSecurityPolicies(namespace: string): Promise<ExistingPolicy[]> {
    const list = await K8s(BackendSecurityPolicy)
      .InNamespace(namespace)
      .Get()
      .catch(error => {
        throw new LookupError(`the BackendSecurityPolicies in ${namespace}`, statusOf(error));
      });
    return list.items.map(policy => ({
      name: policy.metadata?.name ?? "",
      targetNames: (policy.spec?.targetRefs ?? []).map(target => target.name),
    }));
  }
}
