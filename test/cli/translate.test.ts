import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../cli/main";

const examples = join(__dirname, "../../examples");
const golden = join(__dirname, "golden");

async function run(args: string[], files: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: text => (stdout += text),
    stderr: text => (stderr += text),
    readFile: path => {
      if (path in files) return files[path];
      return readFileSync(path, "utf8");
    },
  });
  return { code, stdout, stderr };
}

const REGENERATE = "run `npm run goldens` to write it, then review the diff before committing it";

describe("ai-gateway translate", () => {
  const cases = readdirSync(examples).filter(f => f.endsWith(".yaml"));

  it("has a golden output for every example, and no golden without its example", () => {
    const goldens = readdirSync(golden);
    expect(cases.length).toBeGreaterThan(0);
    expect({
      examplesWithoutGolden: cases.filter(file => !goldens.includes(file)),
      goldensWithoutExample: goldens.filter(file => !cases.includes(file)),
    }).toEqual({ examplesWithoutGolden: [], goldensWithoutExample: [] });
  });

  // Goldens are written only by `npm run goldens`, never by this test.
  it.each(cases)("%s gives the objects in its golden file, without warnings", async file => {
    const goldenFile = join(golden, file);
    if (!existsSync(goldenFile)) {
      throw new Error(`test/cli/golden/${file} is missing: ${REGENERATE}`);
    }
    const { code, stdout, stderr } = await run(["translate", "-f", join(examples, file)]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(goldenFile, "utf8"));
  });

  it("rejects invalid input with the validator's messages and exit code 1", async () => {
    const bad = `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: {name: azure}
spec:
  schema: {name: AzureOpenAI}
  backendRef: {name: azure}
`;
    const { code, stdout, stderr } = await run(["translate", "-f", "bad.yaml"], {
      "bad.yaml": bad,
    });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "error: bad.yaml: AIServiceBackend default/azure: spec.schema.version: schema.version is required for AzureOpenAI: set it to the api-version, e.g. 2024-10-21\n",
    );
  });

  it("names the file and line of a YAML syntax error", async () => {
    const { code, stderr } = await run(["translate", "-f", "broken.yaml"], {
      "broken.yaml": "kind: AIGatewayRoute\nmetadata:\n  name: [unclosed\n",
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: broken\.yaml:\d+: invalid YAML: /);
  });

  it("warns about references missing from the input", async () => {
    const route = readFileSync(join(examples, "single-provider.yaml"), "utf8").split("---").pop()!;
    const { code, stderr } = await run(["translate", "-f", "route.yaml"], { "route.yaml": route });
    expect(code).toBe(0);
    expect(stderr).toContain(
      'warning: route.yaml: AIGatewayRoute default/openai: spec.rules[0].backendRefs[0]: AIServiceBackend "openai" not found in namespace "default"; the route is not Accepted until it exists',
    );
    expect(stderr).toContain(
      'warning: route.yaml: AIGatewayRoute default/openai: would not be Accepted: BackendNotFound: AIServiceBackend "openai" not found in namespace "default"',
    );
  });

  it("explains its usage", async () => {
    expect((await run(["frobnicate"])).code).toBe(2);
    expect((await run(["translate"])).stderr).toBe("error: give at least one file with -f\n");
  });
});
