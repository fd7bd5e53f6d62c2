/**
 * Reading and printing the resolved credentials of a backend (`BackendAuthConfigSchema`, defined
 * by the configuration contract): `parseBackendAuthConfig()` applies the schema with messages that
 * name fields, never values; `redact()` masks exactly the fields the schema marks secret.
 */
import { z } from "zod";
import { BackendAuthConfig, BackendAuthConfigSchema, secretFields } from "../contract/credentials";
import { fieldPath } from "../lib/zod-issues";
import { AuthError } from "./errors";

const CONFIG_TYPES: ReadonlySet<unknown> = new Set(
  BackendAuthConfigSchema.options.map(option => option.shape.type.value),
);

/**
 * Parses a config against `BackendAuthConfigSchema`. Throws an `AuthError` (`INVALID_CONFIG`)
 * whose message names the type, each failing field and the rule it breaks
 * (`AzureCredentials: set exactly one of clientSecret or oidcExchangeToken (both are set)`); it is
 * built from field paths and the schema's own messages only, never from a value, so it is safe to
 * log and to put in status.
 */
export function parseBackendAuthConfig(input: unknown): BackendAuthConfig {
  const result = BackendAuthConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const type = (input as { type?: unknown } | null | undefined)?.type;
  const where = CONFIG_TYPES.has(type) ? String(type) : "backend auth config";
  const problems = result.error.issues.map(issue => {
    if (issue.path.length === 1 && issue.path[0] === "type") {
      return `type: must be one of ${[...CONFIG_TYPES].join(", ")}`;
    }
    const message = issue.code === "unrecognized_keys" ? unknownFields(issue.keys) : issue.message;
    const path = fieldPath(issue.path);
    return path ? `${path}: ${message}` : message;
  });
  throw new AuthError("INVALID_CONFIG", `${where}: ${problems.join("; ")}`);
}

/**
 * Unknown keys are named when they look like a field name (a mistyped `apikey`), and withheld
 * otherwise: a key is input too, and a pasted secret can end up as one.
 */
function unknownFields(keys: readonly string[]): string {
  const names = keys.map(key =>
    /^[A-Za-z][A-Za-z0-9]{0,39}$/.test(key) ? `"${key}"` : "(name withheld)",
  );
  return `unknown field${keys.length === 1 ? "" : "s"} ${names.join(", ")}`;
}

/** The placeholder `redact()` writes in place of a secret value. */
export const REDACTED = "[redacted]";

/**
 * A deep copy of `value` with every field the schema marks secret replaced by `REDACTED`, safe to
 * log, print or put in status. Unknown fields are kept: they cannot be secret by the schema.
 */
export function redact(config: BackendAuthConfig): BackendAuthConfig {
  return redactWith(BackendAuthConfigSchema, config) as BackendAuthConfig;
}

function redactWith(schema: z.core.$ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (secretFields.has(schema as z.ZodType)) return REDACTED;
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
      return redactWith((def as z.core.$ZodOptionalDef).innerType, value);
    case "union": {
      const options = (def as z.core.$ZodUnionDef).options;
      // A value that does not parse is still redacted by its discriminator's option.
      const match =
        options.find(option => z.safeParse(option, value).success) ??
        options.find(option => sameDiscriminator(option, value));
      return match ? redactWith(match, value) : value;
    }
    case "array":
      return Array.isArray(value)
        ? value.map(item => redactWith((def as z.core.$ZodArrayDef).element, item))
        : value;
    case "object": {
      if (typeof value !== "object") return value;
      const shape = (def as z.core.$ZodObjectDef).shape;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, field]) => [
          key,
          shape[key] ? redactWith(shape[key], field) : field,
        ]),
      );
    }
    default:
      return value;
  }
}

function sameDiscriminator(option: z.core.$ZodType, value: unknown): boolean {
  const def = option._zod.def;
  if (def.type !== "object" || typeof value !== "object" || value === null) return false;
  const typeField = (def as z.core.$ZodObjectDef).shape.type;
  return (
    typeField !== undefined && z.safeParse(typeField, (value as { type?: unknown }).type).success
  );
}
