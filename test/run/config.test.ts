/**
 * What `ai-gateway run` makes of its input: bad files and flags (the messages users get, exit code
 * 2), reloads when the files change (a bad change rejected, the last good one serving), folders and
 * standard input for `translate` too, and the default built from the environment.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../cli/main";
import { runCommand } from "../../cli/run";
import type { RunningGateway } from "../../run/main";
import { defaultManifests } from "../../run/default-manifests";
import { configFromManifests } from "../../run/manifest-config";
import { routeTable } from "../../run/route-table";
import { eventually } from "../auth/support/fake-server";
import { startFakeProvider, type FakeProvider } from "../support/fake-providers";
import { clientOf, startGateway } from "./support/gateway";
import { backendManifests, routeManifest, yamlOf } from "./support/manifests";

async function cli(command: (io: Parameters<typeof main>[1]) => Promise<number>) {
  let stdout = "";
  let stderr = "";
  const code = await command({
    stdout: text => (stdout += text),
    stderr: text => (stderr += text),
    readFile: path => readFileSync(path, "utf8"),
  });
  return { code, stdout, stderr };
}

const folderWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "aigw-run-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

describe("ai-gateway run: bad input", () => {
  it("exits 2 with the validators' messages, naming the file and the object", async () => {
    const dir = folderWith({
      "azure.yaml": `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: {name: azure}
spec:
  schema: {name: AzureOpenAI}
  backendRef: {name: azure}
`,
    });
    const { code, stdout, stderr } = await cli(io => runCommand(["-f", dir, "--port", "0"], io));
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `error: ${join(dir, "azure.yaml")}: AIServiceBackend default/azure: spec.schema.version: schema.version is required for AzureOpenAI: set it to the api-version, e.g. 2024-10-21\n`,
    );
  });

  it("names a variable a Secret refers to that is not set, never a value", async () => {
    const dir = folderWith({
      "key.yaml": `
apiVersion: v1
kind: Secret
metadata: {name: openai}
stringData: {apiKey: "\${AIGW_TEST_UNSET_KEY}"}
`,
    });
    const { code, stderr } = await cli(io => runCommand(["-f", dir], io));
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${join(dir, "key.yaml")}: Secret default/openai: stringData.apiKey: the environment variable AIGW_TEST_UNSET_KEY is not set\n`,
    );
  });

  it("says when the files hold no AIGatewayRoute", async () => {
    const dir = folderWith({
      "empty.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    });
    const file = join(dir, "empty.yaml");
    const { code, stderr } = await cli(io => runCommand(["-f", file], io));
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${file}: no AIGatewayRoute: run serves the routes of AIGatewayRoutes, with the AIServiceBackends, BackendSecurityPolicies, Backends and Secrets they refer to\n`,
    );
  });

  it("names a file that cannot be read, and a folder without manifests", async () => {
    const missing = await cli(io => runCommand(["-f", "/nonexistent/routes.yaml"], io));
    expect(missing).toMatchObject({
      code: 2,
      stderr: "error: /nonexistent/routes.yaml: cannot read: ENOENT\n",
    });
    const dir = folderWith({ "notes.txt": "nothing here" });
    const empty = await cli(io => runCommand(["-f", dir], io));
    expect(empty).toMatchObject({
      code: 2,
      stderr: `error: ${dir}: a folder without .yaml, .yml or .json files\n`,
    });
  });

  it("refuses a bad flag with its name and the usage", async () => {
    const { code, stderr } = await cli(io => runCommand(["--port", "http"], io));
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      "error: --port: Invalid input: expected number, received NaN",
    );
    const unknown = await cli(io => runCommand(["--colour", "blue"], io));
    expect(unknown.stderr.split("\n")[0]).toBe('error: unknown argument "--colour"');
  });
});

describe("ai-gateway run: the files change", () => {
  let fake: FakeProvider;
  let gateway: RunningGateway;
  let dir: string;
  const events: string[] = [];
  const route = (models: string[]) =>
    yamlOf([
      routeManifest(
        "route",
        models.map(model => ({ model, backends: [{ name: "openai" }] })),
      ),
    ]);

  beforeAll(async () => {
    fake = await startFakeProvider("openai");
    dir = folderWith({
      "backend.yaml": yamlOf(backendManifests("openai", fake, "RELOAD_KEY")),
      "route.yaml": route(["gpt-4o"]),
    });
    gateway = await startGateway(
      { files: [dir] },
      {
        env: { RELOAD_KEY: "sk-fake-provider-key" },
        onReload: event =>
          events.push(event.kind === "rejected" ? event.messages.join("; ") : event.kind),
      },
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await fake?.close();
  });

  const models = async () => {
    const list = [];
    for await (const entry of clientOf(gateway).models.list()) list.push(entry.id);
    return list;
  };

  it("serves a change that validates, and keeps the last good one when a change does not", async () => {
    expect(await models()).toEqual(["gpt-4o"]);

    writeFileSync(join(dir, "route.yaml"), route(["gpt-4o", "gpt-4o-mini"]));
    await eventually(async () => (events.includes("reloaded") ? true : undefined));
    expect(await models()).toEqual(["gpt-4o", "gpt-4o-mini"]);

    writeFileSync(join(dir, "route.yaml"), route(["gpt-4o"]).replace("Exact", "Fuzzy"));
    await eventually(async () => (events.length > 1 ? true : undefined));
    expect(events[1]).toContain(`${join(dir, "route.yaml")}: AIGatewayRoute default/route: `);
    expect(await models()).toEqual(["gpt-4o", "gpt-4o-mini"]);
    const answer = await clientOf(gateway).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "still here" }],
    });
    expect(answer.choices[0].message.content).toContain("still here");
  });
});

describe("translate -f takes folders, as kubectl does", () => {
  it("translates every manifest file of a folder, in name order", async () => {
    const examples = join(__dirname, "../../examples");
    const folder = await cli(io => main(["translate", "-f", examples], io));
    const single = await cli(io =>
      main(["translate", "-f", join(examples, "single-provider.yaml")], io),
    );
    expect(folder.stderr).toBe("");
    expect(folder.code).toBe(0);
    expect(folder.stdout).toContain(single.stdout.split("---\n")[0]);
  });
});

describe("the default configuration, from the environment", () => {
  it("serves the local Ollama when no provider's credentials are set", async () => {
    const config = await configFromManifests(defaultManifests({}), {});
    expect(routeTable(config.routes)).toBe(
      [
        "MODEL  BACKEND         SCHEMA  ENDPOINT                PRIORITY",
        "/.*/   default/ollama  OpenAI  http://localhost:11434  0",
      ].join("\n"),
    );
  });

  it("routes each provider's models to it, OpenAI falling back to Azure OpenAI", async () => {
    const env = {
      OPENAI_API_KEY: "sk-openai",
      AZURE_OPENAI_API_KEY: "azure-key",
      AZURE_OPENAI_ENDPOINT: "https://my-resource.openai.azure.com/",
      ANTHROPIC_API_KEY: "sk-ant",
      AWS_ACCESS_KEY_ID: "AKID",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "eu-west-1",
    };
    const config = await configFromManifests(defaultManifests(env), env);
    expect(config.warnings).toEqual([]);
    const [route] = config.routes;
    expect(route.rules.map(rule => rule.backends.map(b => `${b.id}@${b.priority}`))).toEqual([
      ["default/openai@0", "default/azure-openai@1"],
      ["default/anthropic@0"],
      ["default/aws-bedrock@0"],
    ]);
    expect(route.rules[0].backends[0].auth).toEqual({ type: "APIKey", apiKey: "sk-openai" });
    expect(route.rules[2].backends[0].endpoint).toEqual({
      hostname: "bedrock-runtime.eu-west-1.amazonaws.com",
      port: 443,
      tls: true,
    });
  });
});
