/**
 * The AIGatewayRoutes of a set of manifests, validated as the admission webhook validates them and
 * resolved as the controller resolves them: what `translate` prints and `run` serves, found once.
 */
import { ResourceValidator, ValidatedKind } from "../api/validate";
import { formatViolation } from "../api/validation/violation";
import { Manifest, ManifestSet } from "./manifest-set";
import { resolveRoute } from "./route";
import type { RouteInputs, RouteObject } from "./resolved";

/** A manifest with where it came from, for messages. */
export interface SourcedManifest {
  source: string;
  manifest: Manifest;
}

const AI_GATEWAY_KINDS = new Set<string>([
  "AIGatewayRoute",
  "AIServiceBackend",
  "BackendSecurityPolicy",
]);

export interface ManifestRoutes {
  /** Each valid AIGatewayRoute with what it refers to; empty when `errors` is not. */
  routes: Array<{ input: SourcedManifest; inputs: RouteInputs }>;
  /** Why the input is invalid, each naming the file and the object. */
  errors: string[];
  /** References to objects that are not in the input. */
  warnings: string[];
}

/** `file: Kind namespace/name`, the prefix of every message about one object. */
export function describeManifest({ source, manifest }: SourcedManifest): string {
  return `${source}: ${manifest.kind} ${manifest.metadata?.namespace ?? "default"}/${manifest.metadata?.name ?? ""}`;
}

/** Validates the AI Gateway objects among `inputs`, as the admission webhook would. */
async function validateAll(
  inputs: SourcedManifest[],
  lookup: ManifestSet,
  validator: ResourceValidator,
): Promise<{ errors: string[]; warnings: string[] }> {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const input of inputs) {
    const { manifest } = input;
    if (!AI_GATEWAY_KINDS.has(manifest.kind ?? "")) continue;
    if (!manifest.metadata?.name) {
      errors.push(`${describeManifest(input)}: metadata.name: Required value`);
      continue;
    }
    const result = await validator.validate(manifest.kind as ValidatedKind, manifest, {
      name: manifest.metadata.name,
      namespace: manifest.metadata.namespace ?? "default",
      lookup,
    });
    errors.push(...result.violations.map(v => `${describeManifest(input)}: ${formatViolation(v)}`));
    warnings.push(...result.warnings.map(w => `${describeManifest(input)}: ${w}`));
  }
  return { errors, warnings };
}

/** Validates `inputs`, then resolves each AIGatewayRoute among them against the others. */
export async function resolveManifestRoutes(inputs: SourcedManifest[]): Promise<ManifestRoutes> {
  const view = new ManifestSet(inputs.map(i => i.manifest));
  const validator = new ResourceValidator();
  const { errors, warnings } = await validateAll(inputs, view, validator);
  if (errors.length > 0) return { routes: [], errors, warnings };
  const routes: ManifestRoutes["routes"] = [];
  for (const input of inputs.filter(i => i.manifest.kind === "AIGatewayRoute")) {
    const { spec } = validator.parseSpec<RouteObject["spec"]>("AIGatewayRoute", input.manifest);
    if (!spec) continue; // validated above: never the case
    const { name = "", namespace = "default" } = input.manifest.metadata ?? {};
    const route: RouteObject = { metadata: { ...input.manifest.metadata, name, namespace }, spec };
    routes.push({ input, inputs: resolveRoute(view, route) });
  }
  return { routes, errors: [], warnings };
}
