/**
 * Builds CustomResourceDefinitions from the zod schemas in `v1alpha1/`, so the YAML in `crds/` and
 * the TypeScript types share one source. Pure: the generator script writes the result to disk.
 */
import { z } from "zod";
import { CelRule, GROUP, KindDefinition, patternRule, StatusSchema, VERSION } from "./v1alpha1";

/** An OpenAPI v3 schema node as it appears in a CRD. */
export type JSONSchemaNode = { [key: string]: unknown };

const INT_BOUNDS = new Set([9007199254740991, -9007199254740991, 2147483647, -2147483648]);

const hasCelRule = (node: JSONSchemaNode, rule: string): boolean =>
  ((node["x-kubernetes-validations"] as CelRule[] | undefined) ?? []).some(r => r.rule === rule);

/**
 * Turns zod's JSON Schema output into a structural CRD schema: no `$schema`, no
 * `additionalProperties: false` (unknown fields are pruned or rejected by the API server), no
 * implementation limits of JavaScript numbers, no regex for `date-time` (the format is checked), and
 * no `pattern` where a CEL rule with a message checks it.
 */
export function toStructuralSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructuralSchema);
  if (node === null || typeof node !== "object") return node;
  const out: JSONSchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema") continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "minimum" || key === "maximum") && INT_BOUNDS.has(value as number)) continue;
    if (key === "pattern" && (node as JSONSchemaNode).format === "date-time") continue;
    // A pattern that a CEL rule stands for (`matching` in v1alpha1/shared.ts): the rule's message
    // tells the user the fix, where the API server would print the raw regex.
    if (key === "pattern" && hasCelRule(node as JSONSchemaNode, patternRule(value as string)))
      continue;
    if (
      key === "x-kubernetes-validations" ||
      key === "enum" ||
      key === "required" ||
      key === "default"
    ) {
      out[key] = value;
      continue;
    }
    out[key] = toStructuralSchema(value);
  }
  return out;
}

/** The OpenAPI schema of a zod schema, in the form a CRD accepts. */
export function openAPISchemaOf(schema: z.ZodType): JSONSchemaNode {
  return toStructuralSchema(z.toJSONSchema(schema, { io: "input" })) as JSONSchemaNode;
}

/** The whole-object schema of a kind, as served by its CRD. */
export function objectSchemaOf(definition: KindDefinition): JSONSchemaNode {
  return {
    type: "object",
    description: definition.description,
    properties: {
      apiVersion: {
        type: "string",
        description: "The versioned schema of this representation of an object.",
      },
      kind: { type: "string", description: "The REST resource this object represents." },
      metadata: { type: "object" },
      spec: openAPISchemaOf(definition.spec),
      status: openAPISchemaOf(StatusSchema),
    },
    required: ["spec"],
  };
}

/** The CustomResourceDefinition of a kind. */
export function buildCustomResourceDefinition(definition: KindDefinition): JSONSchemaNode {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${definition.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.singular,
        categories: ["ai-gateway"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: "Status",
              type: "string",
              description: "The reason of the Accepted condition.",
              jsonPath: '.status.conditions[?(@.type=="Accepted")].reason',
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: { openAPIV3Schema: objectSchemaOf(definition) },
        },
      ],
    },
  };
}
