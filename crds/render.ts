import { stringify } from "yaml";
import { buildCustomResourceDefinition } from "../api/crd";
import { GROUP, KIND_DEFINITIONS } from "../api/v1alpha1";

const HEADER = "# Generated from api/v1alpha1 by `npm run crds`. Do not edit.\n";

/** The CRD files as they must be in `crds/`. */
export function renderCustomResourceDefinitions(): Array<{ fileName: string; yaml: string }> {
  return KIND_DEFINITIONS.map(definition => ({
    fileName: `${GROUP}_${definition.plural}.yaml`,
    yaml: HEADER + stringify(buildCustomResourceDefinition(definition), { lineWidth: 0 }),
  }));
}
