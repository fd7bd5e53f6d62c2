/**
 * Reads Kubernetes manifests as `kubectl apply -f` does: files, folders (their `.yaml`, `.yml` and
 * `.json` files, not recursively), and `-` for standard input; YAML text with messages that name the
 * file and line.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { errorMessage, systemErrorCode } from "../lib/error-message";
import type { SourcedManifest } from "../resolve/manifest-routes";

export class ManifestError extends Error {
  readonly code = "InvalidManifest";
}

/** The path that stands for standard input. */
export const STDIN = "-";

const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** Whether `path` is a folder; anything that cannot be looked at is left to the file reader. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The files `paths` name: a folder stands for its manifest files, in name order.
 * @throws ManifestError for a folder without any.
 */
export function manifestFiles(paths: readonly string[]): string[] {
  return paths.flatMap(path => {
    if (path === STDIN || !isDirectory(path)) return [path];
    const files = readdirSync(path)
      .filter(name => MANIFEST_FILE.test(name) && !name.startsWith("."))
      .sort()
      .map(name => join(path, name));
    if (files.length === 0) {
      throw new ManifestError(`${path}: a folder without .yaml, .yml or .json files`);
    }
    return files;
  });
}

/**
 * The objects in the files `paths` name (see `manifestFiles`), read with `readFile`.
 * @throws ManifestError naming the file that cannot be read or parsed.
 */
export function readManifests(
  paths: readonly string[],
  readFile: (path: string) => string,
): SourcedManifest[] {
  return manifestFiles(paths).flatMap(file => {
    let text: string;
    try {
      text = readFile(file === STDIN ? "/dev/stdin" : file);
    } catch (error) {
      throw new ManifestError(
        `${file}: cannot read: ${systemErrorCode(error) ?? errorMessage(error)}`,
      );
    }
    return parseManifests(text, file);
  });
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
