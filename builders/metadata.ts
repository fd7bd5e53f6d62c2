/** Names, labels and owner references of the objects generated for an AIGatewayRoute. */
import { createHash } from "node:crypto";
import { API_VERSION } from "../api/v1alpha1";
import type { RouteObject } from "../resolve/resolved";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "ai-gateway";
/** Ties a generated object to its AIGatewayRoute (same namespace). */
export const ROUTE_LABEL = "aigateway.envoyproxy.io/route";
/** Ties a configuration shard entry's Secret to the controller. */
export const CONFIG_LABEL = "aigateway.envoyproxy.io/config";

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

/**
 * `<prefix>-<name>`, shortened with a hash when it would pass the 253-character name limit, so
 * distinct routes never share a child name.
 */
export function childName(prefix: string, name: string): string {
  const full = `${prefix}-${name}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${full.slice(0, MAX_NAME - hash.length - 1)}-${hash}`;
}

export function childLabels(parent: ParentIdentity): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [ROUTE_LABEL]: labelValue(parent.metadata.name) };
}

/** Label values are limited to 63 characters; long names are shortened with a hash. */
export function labelValue(value: string): string {
  if (value.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value)) return value;
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 10);
  return `${value.slice(0, 52).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
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
