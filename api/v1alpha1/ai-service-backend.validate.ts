/** What the schema cannot say about an AIServiceBackend, one small function per rule. */
import type { ReferenceLookup } from "../validation/lookup";
import { bodyMutationViolations, headerMutationViolations } from "../validation/shared-rules";
import type { Violation } from "../validation/violation";
import type { AIServiceBackendSpec } from "./ai-service-backend";

const PATH_PREFIX = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** For OpenAI the version is the path prefix, such as v1 or api/v1; it is not a URL. */
export function invalidOpenAIPrefix(spec: AIServiceBackendSpec): Violation[] {
  const version = spec.schema.version;
  if (spec.schema.name !== "OpenAI" || version === undefined || PATH_PREFIX.test(version))
    return [];
  return [
    {
      path: "spec.schema.version",
      message: `${JSON.stringify(version)} is not a path prefix: for OpenAI the version is the path before /chat/completions, such as v1 or openai/v1, without leading or trailing "/"`,
    },
  ];
}

export function invalidBackendBodyMutation(spec: AIServiceBackendSpec): Violation[] {
  return bodyMutationViolations(spec.bodyMutation, "spec.bodyMutation");
}

export function ambiguousBackendHeaders(spec: AIServiceBackendSpec): Violation[] {
  return headerMutationViolations(spec.headerMutation, "spec.headerMutation");
}

export function ruleViolations(spec: AIServiceBackendSpec): Violation[] {
  return [
    ...invalidOpenAIPrefix(spec),
    ...invalidBackendBodyMutation(spec),
    ...ambiguousBackendHeaders(spec),
  ];
}

/** Warns when the Envoy Gateway Backend does not exist yet. */
export async function missingReferences(
  spec: AIServiceBackendSpec,
  namespace: string,
  lookup: ReferenceLookup,
): Promise<string[]> {
  const ns = spec.backendRef.namespace ?? namespace;
  if (await lookup.exists("Backend", ns, spec.backendRef.name)) return [];
  return [
    `spec.backendRef: Backend "${spec.backendRef.name}" not found in namespace "${ns}"; the AIServiceBackend is not Accepted until it exists`,
  ];
}
