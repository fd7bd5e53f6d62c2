import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Environment } from "@marcbachmann/cel-js";
import { JSONSchemaNode } from "../../api/crd";
import type { CelRule } from "../../api/v1alpha1";
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

    it("has no raw pattern: kubectl would print the regex, a CEL rule prints its message", () => {
      const patterned = [...nodes(root, "")].filter(([, node]) => node.pattern !== undefined);
      expect(patterned.map(([path]) => path)).toEqual([]);
    });

    it("has pattern rules that compile as CEL and tell the fix", () => {
      const cel = new Environment({ unlistedVariablesAreDyn: true });
      const patternRules = [...nodes(root, "")].flatMap(([path, node]) =>
        ((node["x-kubernetes-validations"] as CelRule[] | undefined) ?? [])
          .filter(rule => rule.rule.startsWith("self.matches("))
          .map(rule => ({ path, rule })),
      );
      expect(patternRules.length).toBeGreaterThan(0);
      for (const { path, rule } of patternRules) {
        expect({ path, type: typeof cel.evaluate(rule.rule, { self: "a" }) }).toEqual({
          path,
          type: "boolean",
        });
        expect(rule.message).toMatch(/^must be /);
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
