/**
 * `translate`: every object the reconcilers would produce for a set of manifests, built by the same
 * pure builders, after the same validation the admission webhook runs.
 */
import {
  describeManifest,
  resolveManifestRoutes,
  type SourcedManifest,
} from "../resolve/manifest-routes";
import { buildConfigSecret, buildRouteConfig } from "../builders/route-config";
import { buildRouteChildren } from "../builders/route-children";
import type { ControllerSettings } from "../controller/settings";
import { routeVerdict } from "../status/verdicts";

export type { SourcedManifest } from "../resolve/manifest-routes";

export interface TranslateResult {
  /** The generated objects, in apply order. */
  objects: object[];
  /** Why the input is invalid; non-empty means nothing was generated. */
  errors: string[];
  /** References to objects that are not in the input, and routes that would not be Accepted. */
  warnings: string[];
}

/** Translates `inputs` into the objects the controller would write for them. */
export async function translate(
  inputs: SourcedManifest[],
  settings: ControllerSettings,
): Promise<TranslateResult> {
  const { routes, errors, warnings } = await resolveManifestRoutes(inputs);
  if (errors.length > 0) return { objects: [], errors, warnings };

  const objects: object[] = [];
  const configs: object[] = [];
  for (const { input, inputs: routeInputs } of routes) {
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
        `${describeManifest(input)}: would not be Accepted: ${verdict.reason}: ${verdict.message}`,
      );
  }
  objects.push(...configs);
  return { objects, errors: [], warnings };
}
