/**
 * `translate`: every object the reconcilers would produce for a set of manifests, built by the same
 * pure builders, after the same validation the admission webhook runs.
 */
import { ResourceValidator, ValidatedKind } from "../api/validate";
import { formatViolation } from "../api/validation/violation";
import { Manifest, ManifestSet } from "../resolve/manifest-set";
import { resolveRoute } from "../resolve/route";
import type { RouteObject } from "../resolve/resolved";
import { buildConfigSecret, buildRouteConfig } from "../builders/route-config";
import { buildRouteChildren } from "../builders/route-children";
import type { ControllerSettings } from "../controller/settings";
import { routeVerdict } from "../status/verdicts";

const AI_GATEWAY_KINDS = new Set<string>([
  "AIGatewayRoute",
  "AIServiceBackend",
  "BackendSecurityPolicy",
]);

/** A manifest with where it came from, for messages. */
export interface SourcedManifest {
  source: string;
  manifest: Manifest;
}

export interface TranslateResult {
  /** The generated objects, in apply order. */
  objects: object[];
  /** Why the input is invalid; non-empty means nothing was generated. */
  errors: string[];
  /** References to objects that are not in the input, and routes that would not be Accepted. */
  warnings: string[];
}

function describe({ source, manifest }: SourcedManifest): string {
  return `${source}: ${manifest.kind} ${manifest.metadata?.namespace ?? "default"}/${manifest.metadata?.name ?? ""}`;
}

/** Validates the AI Gateway objects among `inputs`, as the admission webhook would. */
async function validateAll(
  inputs: SourcedManifest[],
  lookup: ManifestSet,
): Promise<{ errors: string[]; warnings: string[] }> {
  const validator = new ResourceValidator();
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const input of inputs) {
    const { manifest } = input;
    if (!AI_GATEWAY_KINDS.has(manifest.kind ?? "")) continue;
    if (!manifest.metadata?.name) {
      errors.push(`${describe(input)}: metadata.name: Required value`);
      continue;
    }
    const result = await validator.validate(manifest.kind as ValidatedKind, manifest, {
      name: manifest.metadata.name,
      namespace: manifest.metadata.namespace ?? "default",
      lookup,
    });
    errors.push(...result.violations.map(v => `${describe(input)}: ${formatViolation(v)}`));
    warnings.push(...result.warnings.map(w => `${describe(input)}: ${w}`));
  }
  return { errors, warnings };
}

/** Translates `inputs` into the objects the controller would write for them. */
export async function translate(
  inputs: SourcedManifest[],
  settings: ControllerSettings,
): Promise<TranslateResult> {
  const view = new ManifestSet(inputs.map(i => i.manifest));
  const { errors, warnings } = await validateAll(inputs, view);
  if (errors.length > 0) return { objects: [], errors, warnings };

  const validator = new ResourceValidator();
  const objects: object[] = [];
  const configs: object[] = [];
  for (const input of inputs.filter(i => i.manifest.kind === "AIGatewayRoute")) {
    const { spec } = validator.parseSpec<RouteObject["spec"]>("AIGatewayRoute", input.manifest);
    if (!spec) continue; // validated above: never the case
    const { name = "", namespace = "default" } = input.manifest.metadata ?? {};
    const route: RouteObject = { metadata: { ...input.manifest.metadata, name, namespace }, spec };
    const routeInputs = resolveRoute(view, route);
    const document = buildRouteConfig(routeInputs);
    objects.push(...buildRouteChildren(routeInputs, settings));
    configs.push(buildConfigSecret(document, settings, { forReading: true }));
    // Envoy Gateway's part cannot be known offline; report only what the inputs decide.
    const verdict = routeVerdict(routeInputs, {
      httpRoute: { parents: [{ conditions: [] }] },
      extensionPolicy: { ancestors: [{ conditions: [] }] },
    });
    if (!verdict.accepted)
      warnings.push(
        `${describe(input)}: would not be Accepted: ${verdict.reason}: ${verdict.message}`,
      );
  }
  objects.push(...configs);
  return { objects, errors: [], warnings };
}
