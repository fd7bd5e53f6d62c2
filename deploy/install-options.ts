/**
 * What the build takes from its environment to write the data plane's manifests: the image, and
 * what a cloud's workload identity needs on the data plane's ServiceAccount and pods. The ext_proc
 * server signs with the pod's own identity when a BackendSecurityPolicy names no key (AWS default
 * chain, Azure managed identity, GCP Application Default Credentials), and each cloud ties that
 * identity to the ServiceAccount by an annotation (EKS IRSA `eks.amazonaws.com/role-arn`, GKE
 * `iam.gke.io/gcp-service-account`, AKS `azure.workload.identity/client-id`) and, on AKS, a pod
 * label (`azure.workload.identity/use: "true"`). Written into the manifests, they survive every
 * re-apply; a `kubectl annotate` would not survive a reinstall.
 *
 * Each variable is a list `key=value,key=value` (spaces around keys and values are dropped), so a
 * value cannot hold a comma; none of the identity annotations needs one.
 */
import { z } from "zod";
import { DNS_SUBDOMAIN } from "../api/v1alpha1/shared";
import { isLabelValue } from "../builders/metadata";
import { EXTPROC_OWN_LABELS, type ExtProcInstall } from "./extproc-manifests";

const INSTALL_ENV = {
  image: "AIGW_EXTPROC_IMAGE",
  serviceAccountAnnotations: "AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS",
  podLabels: "AIGW_EXTPROC_POD_LABELS",
} as const;

const NAME_RULE =
  "1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** What is wrong with a label or annotation key, a qualified name `[prefix/]name`, if anything. */
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "its prefix must be a DNS subdomain (lower-case, at most 253 characters)";
  }
  if (!isLabelValue(name)) return `its name must be ${NAME_RULE}`;
  return undefined;
}

/** What is wrong with one `key=value` entry, if anything, for `kind`. */
function entryProblem(
  kind: "annotation" | "label",
  key: string,
  value: string,
  seen: Record<string, string>,
): string | undefined {
  const invalidKey = keyProblem(key);
  if (invalidKey) return `${kind} key "${key}": ${invalidKey}`;
  if (key in seen) return `${kind} "${key}" is given twice`;
  if (kind === "label") {
    if ((EXTPROC_OWN_LABELS as readonly string[]).includes(key)) {
      return `label "${key}" is set by the manifests themselves and cannot be changed`;
    }
    if (value !== "" && !isLabelValue(value))
      return `label "${key}": its value must be empty or ${NAME_RULE}`;
  }
  return undefined;
}

/**
 * `key=value,key=value` into an object, each key checked as Kubernetes checks it (and each value,
 * for labels), so that a typo fails the build rather than the `kubectl apply`.
 */
function keyValueList(variable: string, kind: "annotation" | "label") {
  return z
    .string()
    .transform((text, context) => {
      const entries: Record<string, string> = {};
      for (const entry of text.split(",").map(part => part.trim())) {
        if (entry === "") continue;
        const equals = entry.indexOf("=");
        const key = entry.slice(0, Math.max(equals, 0)).trim();
        const value = entry.slice(equals + 1).trim();
        const problem =
          equals === -1 || key === ""
            ? `"${entry}" is not key=value`
            : entryProblem(kind, key, value, entries);
        if (problem) {
          context.addIssue({ code: "custom", message: `${variable}: ${problem}` });
          return z.NEVER;
        }
        entries[key] = value;
      }
      // Nothing to write: no `annotations` or extra labels at all.
      return Object.keys(entries).length > 0 ? entries : undefined;
    })
    .optional();
}

const InstallEnvSchema = z.object({
  [INSTALL_ENV.image]: z.string().min(1, `${INSTALL_ENV.image} must not be empty`).optional(),
  [INSTALL_ENV.serviceAccountAnnotations]: keyValueList(
    INSTALL_ENV.serviceAccountAnnotations,
    "annotation",
  ),
  [INSTALL_ENV.podLabels]: keyValueList(INSTALL_ENV.podLabels, "label"),
});

/**
 * The install as the environment describes it, for `version`.
 * @throws Error with one line per problem, each naming its variable.
 */
export function installFromEnv(
  env: Record<string, string | undefined>,
  version: string,
): ExtProcInstall {
  const parsed = InstallEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map(issue => issue.message).join("\n"));
  }
  const values = parsed.data;
  return {
    image: values[INSTALL_ENV.image] ?? `ai-gateway-extproc:${version}`,
    version,
    serviceAccountAnnotations: values[INSTALL_ENV.serviceAccountAnnotations],
    podLabels: values[INSTALL_ENV.podLabels],
  };
}
