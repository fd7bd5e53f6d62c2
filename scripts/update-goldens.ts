/**
 * Regenerates test/cli/golden/<example>.yaml from `ai-gateway translate -f examples/<example>.yaml`
 * for every example, and removes goldens whose example is gone. The CLI test never writes goldens:
 * run this after a deliberate change to the output, then review the diff before committing it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../cli/main";

const root = join(__dirname, "..");
const examplesDir = join(root, "examples");
const goldenDir = join(root, "test/cli/golden");

async function update(): Promise<number> {
  const examples = readdirSync(examplesDir).filter(file => file.endsWith(".yaml"));
  mkdirSync(goldenDir, { recursive: true });
  let failed = 0;
  for (const file of examples) {
    let stdout = "";
    let stderr = "";
    const code = await main(["translate", "-f", join(examplesDir, file)], {
      stdout: text => (stdout += text),
      stderr: text => (stderr += text),
      readFile: path => readFileSync(path, "utf8"),
    });
    // The test wants every example to translate cleanly: a golden of a failing one is no golden.
    if (code !== 0 || stderr !== "") {
      console.error(`${file}: exit code ${code}, not written:\n${stderr}`);
      failed++;
      continue;
    }
    const golden = join(goldenDir, file);
    const previous = existsSync(golden) ? readFileSync(golden, "utf8") : undefined;
    if (previous === stdout) continue;
    writeFileSync(golden, stdout);
    console.log(`${previous === undefined ? "created" : "updated"} test/cli/golden/${file}`);
  }
  for (const file of readdirSync(goldenDir)) {
    if (!examples.includes(file)) {
      rmSync(join(goldenDir, file));
      console.log(`removed test/cli/golden/${file}: examples/${file} does not exist`);
    }
  }
  return failed === 0 ? 0 : 1;
}

update().then(code => {
  process.exitCode = code;
});
