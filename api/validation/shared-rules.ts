/** Rules that apply to fields every kind shares. */
import type { HTTPBodyMutation, HTTPHeaderMutation } from "../v1alpha1";
import { childPath, Violation } from "./violation";

const TOP_LEVEL_FIELD = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Body mutation paths must name one top-level JSON field, and values must be JSON. */
export function bodyMutationViolations(
  mutation: HTTPBodyMutation | undefined,
  path: string,
): Violation[] {
  if (!mutation) return [];
  const violations: Violation[] = [];
  mutation.set?.forEach((field, index) => {
    const at = childPath(path, "set") + `[${index}]`;
    if (!TOP_LEVEL_FIELD.test(field.path)) {
      violations.push({
        path: `${at}.path`,
        message: `${JSON.stringify(field.path)} is not a valid field path: name one top-level field of the JSON body, such as "temperature" (letters, digits, "_" and "-")`,
      });
    }
    try {
      JSON.parse(field.value);
    } catch {
      violations.push({
        path: `${at}.value`,
        message: `${JSON.stringify(field.value)} is not valid JSON: write the raw JSON value, e.g. 0.2, true or "\\"text\\""`,
      });
    }
  });
  mutation.remove?.forEach((field, index) => {
    if (!TOP_LEVEL_FIELD.test(field)) {
      violations.push({
        path: `${childPath(path, "remove")}[${index}]`,
        message: `${JSON.stringify(field)} is not a valid field path: name one top-level field of the JSON body, such as "temperature" (letters, digits, "_" and "-")`,
      });
    }
  });
  return violations;
}

/** HTTP header names are case-insensitive: setting "X-Team" and "x-team" is ambiguous. */
export function headerMutationViolations(
  mutation: HTTPHeaderMutation | undefined,
  path: string,
): Violation[] {
  const names = (mutation?.set ?? []).map(h => h.name.toLowerCase());
  if (new Set(names).size === names.length) return [];
  return [
    {
      path: childPath(path, "set"),
      message: "header names in set must be unique (case-insensitively)",
    },
  ];
}
