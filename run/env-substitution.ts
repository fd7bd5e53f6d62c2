/**
 * `${NAME}` in the values of a Secret's `stringData`, replaced by the environment variable NAME, so
 * that files can name credentials without holding them. Only Secrets: anywhere else a `${...}` is
 * the user's own text.
 */
import type { SourcedManifest } from "../resolve/manifest-routes";
import { describeManifest } from "../resolve/manifest-routes";

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `inputs` with the references in their Secrets' `stringData` replaced, and a message for each
 * reference to a variable that is not set (naming the file, the Secret, the key and the variable,
 * never a value).
 */
export function substituteEnv(
  inputs: readonly SourcedManifest[],
  env: Record<string, string | undefined>,
): { inputs: SourcedManifest[]; errors: string[] } {
  const errors: string[] = [];
  const substituted = inputs.map(input => {
    const { manifest } = input;
    const stringData = manifest.stringData;
    if (manifest.kind !== "Secret" || typeof stringData !== "object" || stringData === null) {
      return input;
    }
    const data = Object.fromEntries(
      Object.entries(stringData).map(([key, value]) => {
        if (typeof value !== "string") return [key, value];
        return [
          key,
          value.replace(REFERENCE, (reference, name: string) => {
            const found = env[name];
            if (found !== undefined && found !== "") return found;
            errors.push(
              `${describeManifest(input)}: stringData.${key}: the environment variable ${name} is not set`,
            );
            return reference;
          }),
        ];
      }),
    );
    return { ...input, manifest: { ...manifest, stringData: data } };
  });
  return { inputs: substituted, errors };
}
