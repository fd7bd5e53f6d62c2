/**
 * Writes crds/<plural>.aigateway.envoyproxy.io.yaml from the schemas in api/v1alpha1.
 * Run `npm run crds` after changing a schema; a unit test fails while the files are stale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCustomResourceDefinitions } from "./render";

for (const { fileName, yaml } of renderCustomResourceDefinitions()) {
  writeFileSync(join(__dirname, fileName), yaml);
  console.log(`wrote crds/${fileName}`);
}
