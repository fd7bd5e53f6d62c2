/** The README's examples, as the cluster tests apply them. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The fallback example (Bedrock then Azure), moved into `namespace`, split into documents. */
export function fallbackExample(namespace: string): string[] {
  const text = readFileSync(join(__dirname, "../../../examples/fallback.yaml"), "utf8");
  return text
    .replaceAll("namespace: default", `namespace: ${namespace}`)
    .split(/^---$/m)
    .filter(doc => /kind:/.test(doc));
}
