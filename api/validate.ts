/**
 * Validates AI Gateway objects the way a user meets it: the API server's schema and CEL rules first,
 * then the rules the schema cannot express, then references to other objects (missing ones only
 * warn: apply order must not matter). Used by the admission webhook and the CLI alike.
 */
import { z } from "zod";
import { openAPISchemaOf, JSONSchemaNode } from "./crd";
import {
  AIGatewayRouteSpec,
  AIServiceBackendSpec,
  BackendSecurityPolicySpec,
  KIND_DEFINITIONS,
  KindDefinition,
} from "./v1alpha1";
import * as route from "./v1alpha1/ai-gateway-route.validate";
import * as backend from "./v1alpha1/ai-service-backend.validate";
import * as policy from "./v1alpha1/backend-security-policy.validate";
import { CelRuleEvaluator } from "./validation/cel-rules";
import type { ReferenceLookup } from "./validation/lookup";
import type { ValidationResult, Violation } from "./validation/violation";
import { violationsFromZod } from "./validation/zod-issues";
import { errorMessage } from "../lib/error-message";

export type ValidatedKind = KindDefinition["kind"];

/** Where the object lives and how to see the objects it refers to. */
export interface ValidationContext {
  name: string;
  namespace: string;
  lookup: ReferenceLookup;
}

type KindChecks = {
  rules(spec: never, context: ValidationContext): Violation[];
  crossObject?(spec: never, context: ValidationContext): Promise<Violation[]>;
  /** What is legal but cannot work as written: approved, with a warning. */
  warnings?(spec: never): string[];
  missing(spec: never, context: ValidationContext): Promise<string[]>;
};

const CHECKS: Record<ValidatedKind, KindChecks> = {
  AIGatewayRoute: {
    rules: (spec: AIGatewayRouteSpec, { namespace }) => route.ruleViolations(spec, namespace),
    warnings: (spec: AIGatewayRouteSpec) => route.unroutableRules(spec),
    missing: (spec: AIGatewayRouteSpec, { namespace, lookup }) =>
      route.missingReferences(spec, namespace, lookup),
  },
  AIServiceBackend: {
    rules: (spec: AIServiceBackendSpec) => backend.ruleViolations(spec),
    missing: (spec: AIServiceBackendSpec, { namespace, lookup }) =>
      backend.missingReferences(spec, namespace, lookup),
  },
  BackendSecurityPolicy: {
    rules: (spec: BackendSecurityPolicySpec, { namespace }) =>
      policy.ruleViolations(spec, namespace),
    crossObject: (spec: BackendSecurityPolicySpec, { name, namespace, lookup }) =>
      policy.targetsTakenByOtherPolicies(spec, name, namespace, lookup),
    missing: (spec: BackendSecurityPolicySpec, { namespace, lookup }) =>
      policy.missingReferences(spec, namespace, lookup),
  },
};

/** Validates objects of the three kinds; build one and reuse it (it compiles the CEL rules once). */
export class ResourceValidator {
  private readonly cel = new CelRuleEvaluator();
  private readonly specSchemas = new Map<
    ValidatedKind,
    { zod: z.ZodType; openAPI: JSONSchemaNode }
  >(KIND_DEFINITIONS.map(d => [d.kind, { zod: d.spec, openAPI: openAPISchemaOf(d.spec) }]));

  /** Parses `object.spec` as the API server would store it (defaults applied), or explains why not. */
  parseSpec<T>(kind: ValidatedKind, object: unknown): { spec?: T; violations: Violation[] } {
    const schemas = this.specSchemas.get(kind)!;
    const specValue = (object as { spec?: unknown } | null)?.spec;
    const parsed = schemas.zod.safeParse(specValue, { reportInput: true });
    if (!parsed.success) return { violations: violationsFromZod(parsed.error, "spec") };
    const violations = this.cel.evaluate(schemas.openAPI, parsed.data, "spec");
    return violations.length ? { violations } : { spec: parsed.data as T, violations: [] };
  }

  async validate(
    kind: ValidatedKind,
    object: unknown,
    context: ValidationContext,
  ): Promise<ValidationResult> {
    const { spec, violations } = this.parseSpec<never>(kind, object);
    if (!spec) return { violations, warnings: [] };
    const checks = CHECKS[kind];
    const ruleViolations = checks.rules(spec, context);
    if (ruleViolations.length) return { violations: ruleViolations, warnings: [] };
    const crossObject = (await checks.crossObject?.(spec, context)) ?? [];
    if (crossObject.length) return { violations: crossObject, warnings: [] };
    const warnings = checks.warnings?.(spec) ?? [];
    try {
      return { violations: [], warnings: [...warnings, ...(await checks.missing(spec, context))] };
    } catch (error) {
      // Missing references only ever warn, so failing to look them up must not reject the object.
      return {
        violations: [],
        warnings: [
          ...warnings,
          `could not check the objects this ${kind} refers to: ${errorMessage(error)}`,
        ],
      };
    }
  }
}
