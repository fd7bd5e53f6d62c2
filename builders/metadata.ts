/** Names, labels and owner references of the objects generated for an AIGatewayRoute. */
import { API_VERSION } from "../api/v1alpha1";
import { shortenedName } from "../lib/short-name";
import type { RouteObject } from "../resolve/resolved";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "ai-gateway";
/** Ties a generated object to its AIGatewayRoute (same namespace). */
export const ROUTE_LABEL = "aigateway.envoyproxy.io/route";

/** The identity of a parent object, as its children refer to it. */
export interface ParentIdentity {
  kind: string;
  metadata: { name: string; namespace: string; uid?: string };
}

/** The route as the parent of what is generated for it. */
export const routeParent = (route: RouteObject): ParentIdentity => ({
  kind: "AIGatewayRoute",
  metadata: route.metadata,
});

const MAX_NAME = 253;
const MAX_LABEL = 63;

/**
 * `<prefix>-<name>`, shortened with a hash when it would pass the 253-character name limit, so
 * distinct routes never share a child name.
 */
export function childName(prefix: string, name: string): string {
  const full = `${prefix}-${name}`;
  if (full.length <= MAX_NAME) return full;
  return shortenedName(full, MAX_NAME, name, { hashLength: 10 });
}

export function childLabels(parent: ParentIdentity): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [ROUTE_LABEL]: labelValue(parent.metadata.name) };
}

/**
 * Whether `value` is a non-empty label value as Kubernetes takes it (also the syntax of the name
 * part of a label or annotation key): at most 63 characters of letters, digits, `-`, `_` and `.`,
 * starting and ending with a letter or digit.
 */
export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value);
}

/** Label values are limited to 63 characters; long names are shortened with a hash. */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  return shortenedName(value, MAX_LABEL, value, { hashLength: 10, trim: /[^A-Za-z0-9]+$/ });
}

/** The owner reference that makes the API server delete a child with its parent. */
function ownerReferenceTo(parent: ParentIdentity, uid: string) {
  return [
    {
      apiVersion: API_VERSION,
      kind: parent.kind,
      name: parent.metadata.name,
      uid,
      controller: true,
    },
  ];
}

/**
 * A child's metadata: its name, the parent's namespace, labels tying it to the parent, and the owner
 * reference (left out when the parent has no uid yet, as in files given to the CLI).
 */
export function childMetadata(parent: ParentIdentity, name: string) {
  return {
    name,
    namespace: parent.metadata.namespace,
    labels: childLabels(parent),
    ...(parent.metadata.uid
      ? { ownerReferences: ownerReferenceTo(parent, parent.metadata.uid) }
      : {}),
  };
}
