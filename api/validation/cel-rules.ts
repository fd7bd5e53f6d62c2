/**
 * Evaluates the CEL rules (`x-kubernetes-validations`) of a CRD schema against an object, so the
 * CLI and the unit tests reject exactly what the API server rejects, from the same rule text.
 */
import { Environment } from "@marcbachmann/cel-js";
import type { JSONSchemaNode } from "../crd";
import type { CelRule } from "../v1alpha1";
import { childPath, Violation } from "./violation";

type CompiledRule = CelRule & { evaluate: (self: unknown) => unknown };

/** Compiles each rule once; one instance serves any number of objects. */
export class CelRuleEvaluator {
  private readonly environment = new Environment({
    unlistedVariablesAreDyn: true,
    homogeneousAggregateLiterals: false,
  });
  private readonly compiled = new Map<string, CompiledRule>();

  /** The violations of every rule in `schema` (and its children) for `value`, under `path`. */
  evaluate(schema: JSONSchemaNode, value: unknown, path: string): Violation[] {
    if (value === undefined || value === null) return [];
    const violations: Violation[] = [];
    const properties = schema.properties as Record<string, JSONSchemaNode> | undefined;
    if (properties && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(properties)) {
        violations.push(
          ...this.evaluate(child, (value as Record<string, unknown>)[key], childPath(path, key)),
        );
      }
    }
    const items = schema.items as JSONSchemaNode | undefined;
    if (items && Array.isArray(value)) {
      value.forEach((item, index) =>
        violations.push(...this.evaluate(items, item, childPath(path, index))),
      );
      violations.push(...duplicateMapKeys(schema, value, path));
    }
    // Children first, like the API server: a parent rule should not have to guard against
    // children that are themselves invalid.
    if (violations.length > 0) return violations;
    for (const rule of (schema["x-kubernetes-validations"] as CelRule[] | undefined) ?? []) {
      if (!this.holds(rule, value)) {
        const fieldPath = rule.fieldPath ? path + rule.fieldPath : path;
        violations.push({ path: fieldPath, message: rule.message });
      }
    }
    return violations;
  }

  private holds(rule: CelRule, self: unknown): boolean {
    let compiled = this.compiled.get(rule.rule);
    if (!compiled) {
      const program = this.environment.parse(rule.rule);
      compiled = { ...rule, evaluate: (s: unknown) => program({ self: s }) };
      this.compiled.set(rule.rule, compiled);
    }
    return compiled.evaluate(self) === true;
  }
}

/**
 * Entries of a map-typed list (`x-kubernetes-list-type: map`) must have unique keys; the API server
 * reports a repeat as a duplicate value at the entry's index.
 */
function duplicateMapKeys(schema: JSONSchemaNode, list: unknown[], path: string): Violation[] {
  if (schema["x-kubernetes-list-type"] !== "map") return [];
  const keys = (schema["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
  const seen = new Set<string>();
  const violations: Violation[] = [];
  list.forEach((item, index) => {
    const key = Object.fromEntries(keys.map(k => [k, (item as Record<string, unknown>)?.[k]]));
    const id = JSON.stringify(key);
    if (seen.has(id))
      violations.push({ path: childPath(path, index), message: `Duplicate value: ${id}` });
    seen.add(id);
  });
  return violations;
}
