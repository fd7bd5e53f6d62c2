/** Reads Kubernetes manifests from YAML text, with messages that name the file and line. */
import { parseAllDocuments } from "yaml";
import type { SourcedManifest } from "./translate";

export class ManifestError extends Error {
  readonly code = "InvalidManifest";
}

/** The objects in one YAML stream (`---`-separated documents; `List` objects are unpacked). */
export function parseManifests(text: string, source: string): SourcedManifest[] {
  const manifests: SourcedManifest[] = [];
  for (const document of parseAllDocuments(text)) {
    const [error] = document.errors;
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new ManifestError(
        `${source}${line ? `:${line}` : ""}: invalid YAML: ${error.message.split("\n")[0]}`,
      );
    }
    const value = document.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value) || typeof value.kind !== "string") {
      throw new ManifestError(`${source}: every document must be a Kubernetes object with a kind`);
    }
    const items = value.kind.endsWith("List") && Array.isArray(value.items) ? value.items : [value];
    manifests.push(...items.map((manifest: SourcedManifest["manifest"]) => ({ source, manifest })));
  }
  return manifests;
}
