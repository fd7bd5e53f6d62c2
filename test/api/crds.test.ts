import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { JSONSchemaNode } from "../../api/crd";
import { renderCustomResourceDefinitions } from "../../crds/render";

const crdDir = join(__dirname, "../../crds");
const rendered = renderCustomResourceDefinitions();

/** Every node below `schema`, with its path. */
function* nodes(schema: JSONSchemaNode, path: string): Generator<[string, JSONSchemaNode]> {
  yield [path, schema];
  for (const [key, child] of Object.entries(
    (schema.properties ?? {}) as Record<string, JSONSchemaNode>,
  )) {
    yield* nodes(child, `${path}.${key}`);
  }
  if (schema.items) yield* nodes(schema.items as JSONSchemaNode, `${path}[]`);
}

describe("crds/", () => {
  it.each(rendered.map(r => [r.fileName, r.yaml]))(
    "%s is what the schemas in api/v1alpha1 generate (run `npm run crds`)",
    (fileName, yaml) => {
      expect(readFileSync(join(crdDir, fileName), "utf8")).toBe(yaml);
    },
  );

  describe.each(rendered.map(r => [r.fileName, parse(r.yaml)]))("%s", (_file, crd) => {
    const version = crd.spec.versions[0];
    const root: JSONSchemaNode = version.schema.openAPIV3Schema;

    it("describes every field, so kubectl explain teaches the API", () => {
      const spec = (root.properties as Record<string, JSONSchemaNode>).spec;
      const undescribed = [...nodes(spec, "spec")]
        .filter(([path, node]) => !path.endsWith("[]") && !node.description)
        .map(([path]) => path);
      expect(undescribed).toEqual([]);
    });

    it("is structural: every node has a type and no unions", () => {
      for (const [path, node] of nodes(root, "")) {
        expect({ path, type: typeof node.type }).toEqual({ path, type: "string" });
        for (const forbidden of ["anyOf", "oneOf", "allOf", "$ref", "additionalProperties"]) {
          expect({ path, [forbidden]: node[forbidden] }).toEqual({ path, [forbidden]: undefined });
        }
      }
    });

    it("has a status subresource, printer columns and the ai-gateway category", () => {
      expect(version.subresources).toEqual({ status: {} });
      expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual([
        "Status",
        "Age",
      ]);
      expect(crd.spec.names.categories).toEqual(["ai-gateway"]);
      expect(
        Object.keys(
          (root.properties as Record<string, JSONSchemaNode>).status.properties as object,
        ),
      ).toEqual(["conditions", "observedGeneration"]);
    });
  });
});
