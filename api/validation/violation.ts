/** One reason to reject an object, at a field path such as `spec.rules[0].name`. */
export interface Violation {
  path: string;
  message: string;
}

/** What the validators decide about an object. */
export interface ValidationResult {
  /** Non-empty means the object is rejected. */
  violations: Violation[];
  /** Approved-with-warnings: references to objects that do not exist (yet). */
  warnings: string[];
}

/** `spec.rules[0].name: rule name route-not-found is reserved` */
export function formatViolation({ path, message }: Violation): string {
  return path ? `${path}: ${message}` : message;
}

/** Appends a field or an index to a dotted path: `spec` + `rules` + 0 → `spec.rules[0]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}
