/**
 * Credentials never leak from `ai-gateway run`. Every credential is a unique canary string, given
 * through the environment as a user would; requests succeed and fail in the ways a client makes
 * them fail, and no canary appears in the logs, the CLI's output, anything the client gets or the
 * metrics. The client's own credentials never reach a provider.
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { captureLogs } from "../auth/support/log-capture";
import { startFakeProvider, type FakeProvider } from "../support/fake-providers";
import { startGoogleTokenServer, type GoogleTokenServer } from "../e2e/support/google-token";
import { runCommand } from "../../cli/run";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";

const CANARY = {
  openaiKey: "sk-canary-openai-3f9a1c7e",
  azureKey: "canary-azure-key-6b0f2a91",
  anthropicKey: "sk-ant-canary-anthropic-c41d",
  awsSecret: "canary/aws/secret/Zq81Lm02Xe77",
  gcpToken: "ya29.canary-gcp-token-51ee0c",
  gcpKeyId: "canary-gcp-private-key-id-9a7",
};
const CLIENT = {
  authorization: "sk-canary-client-bearer-0e5a",
  apiKey: "canary-client-api-key-header-77c",
  xApiKey: "canary-client-x-api-key-header-4d1",
};
const AWS_ACCESS_KEY_ID = "AKIDCANARYTEST0001";

describe("ai-gateway run: credentials never leak", () => {
  let logs: ReturnType<typeof captureLogs>;
  let google: GoogleTokenServer;
  const fakes: FakeProvider[] = [];
  const output: string[] = [];
  const seen: Promise<string>[] = [];
  let exited: Promise<number>;
  let baseURL = "";
  let client: OpenAI;
  let privateKeyPiece = "";

  beforeAll(async () => {
    logs = captureLogs();
    google = await startGoogleTokenServer({
      accessToken: CANARY.gcpToken,
      privateKeyId: CANARY.gcpKeyId,
    });
    privateKeyPiece = (
      JSON.parse(google.serviceAccountJSON) as { private_key: string }
    ).private_key.split("\n")[3];
    const [openai, azure, bedrock, gemini, anthropic] = await Promise.all([
      startFakeProvider("openai", { apiKey: CANARY.openaiKey }),
      startFakeProvider("azureopenai", { apiKey: CANARY.azureKey }),
      startFakeProvider("awsbedrock", {
        aws: {
          accessKeyId: AWS_ACCESS_KEY_ID,
          secretAccessKey: CANARY.awsSecret,
          region: "us-east-1",
        },
      }),
      startFakeProvider("gcpvertexai", { bearerToken: CANARY.gcpToken }),
      startFakeProvider("anthropic", { apiKey: CANARY.anthropicKey }),
    ]);
    fakes.push(openai, azure, bedrock, gemini, anthropic);
    const dir = manifestFolder({
      "all.yaml": [
        ...backendManifests("openai", openai, "C_OPENAI"),
        ...backendManifests("azure", azure, "C_AZURE"),
        ...backendManifests("bedrock", bedrock, "C_AWS"),
        ...backendManifests("vertex", gemini, "C_GCP"),
        ...backendManifests("anthropic", anthropic, "C_ANTHROPIC"),
        routeManifest("route", [
          { model: "gpt-4o", backends: [{ name: "openai" }] },
          { model: "azure-gpt", backends: [{ name: "azure" }] },
          {
            model: "claude-bedrock",
            backends: [
              { name: "bedrock", modelNameOverride: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
            ],
          },
          {
            model: "gemini",
            backends: [{ name: "vertex", modelNameOverride: "gemini-2.0-flash" }],
          },
          { model: "claude", backends: [{ name: "anthropic" }] },
        ]),
      ],
    });
    Object.assign(process.env, {
      C_OPENAI: CANARY.openaiKey,
      C_AZURE: CANARY.azureKey,
      C_AWS_ID: AWS_ACCESS_KEY_ID,
      C_AWS: CANARY.awsSecret,
      C_GCP: google.serviceAccountJSON,
      C_ANTHROPIC: CANARY.anthropicKey,
    });
    let started: () => void = () => {};
    const ready = new Promise<void>(resolve => (started = resolve));
    exited = runCommand(["-f", dir, "--port", "0"], {
      stdout: text => {
        output.push(text);
        const url = /at (http:\/\/\S+\/v1)/.exec(text)?.[1];
        if (url) {
          baseURL = url.replace("localhost", "127.0.0.1");
          started();
        }
      },
      stderr: text => output.push(text),
      readFile: path => readFileSync(path, "utf8"),
    });
    await ready;
    client = new OpenAI({
      baseURL,
      apiKey: CLIENT.authorization,
      defaultHeaders: { "api-key": CLIENT.apiKey, "x-api-key": CLIENT.xApiKey },
      maxRetries: 0,
      timeout: 10_000,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        const copy = response.clone();
        seen.push(
          copy
            .text()
            .then(
              body => `${copy.status} ${JSON.stringify(Object.fromEntries(copy.headers))} ${body}`,
            ),
        );
        return response;
      },
    });
  });

  afterAll(async () => {
    process.emit("SIGTERM");
    expect(await exited).toBe(0);
    logs.stop();
    for (const name of ["C_OPENAI", "C_AZURE", "C_AWS_ID", "C_AWS", "C_GCP", "C_ANTHROPIC"]) {
      delete process.env[name];
    }
    await Promise.all([...fakes.map(fake => fake.close()), google.close()]);
  });

  const chat = (model: string) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content: `hi ${model}` }] });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error("expected the request to fail");
      },
      (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
    );

  it("serves every provider, then fails in the ways clients make it fail", async () => {
    for (const model of ["gpt-4o", "azure-gpt", "claude-bedrock", "gemini", "claude"]) {
      expect((await chat(model)).choices[0].message.content).toContain(`hi ${model}`);
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "stream" }],
        stream: true,
      });
      for await (const chunk of stream) void chunk;
    }
    expect((await failure(chat("no-such-model"))).status).toBe(404);
    fakes[0].setBehaviour({ status: 500 }, { times: 1 });
    expect((await failure(chat("gpt-4o"))).status).toBe(500);
    fakes[0].setBehaviour({ status: 401 }, { times: 1 });
    expect((await failure(chat("gpt-4o"))).status).toBe(401);
  });

  it("leaks no canary into logs, the CLI's output, client answers or metrics", async () => {
    const answers = await Promise.all(seen);
    const metrics = await (await fetch(baseURL.replace(/\/v1$/, "/metrics"))).text();
    const places: Record<string, string> = {
      logs: logs.lines.join("\n"),
      output: output.join(""),
      answers: answers.join("\n"),
      metrics,
    };
    // The places were filled: a check on nothing would pass for the wrong reason.
    expect(answers.length).toBeGreaterThan(10);
    expect(places.logs).toContain('"backend":"default/bedrock"');
    expect(places.output).toContain("default/vertex");
    expect(metrics).toContain("gen_ai_server_request_duration_seconds");
    for (const [place, text] of Object.entries(places)) {
      for (const [name, canary] of Object.entries({ ...CANARY, privateKeyPiece, ...CLIENT })) {
        expect({ place, name, found: text.includes(canary) }).toEqual({
          place,
          name,
          found: false,
        });
      }
    }
  });

  it("never sends the client's own credentials to a provider", () => {
    const received = fakes.flatMap(fake => fake.requests);
    expect(received.length).toBeGreaterThan(10);
    expect(fakes[0].requests[0].headers.authorization).toBe(`Bearer ${CANARY.openaiKey}`);
    for (const request of received) {
      const wire = `${JSON.stringify(request.headers)} ${request.url} ${request.rawBody.toString()}`;
      for (const [name, canary] of Object.entries(CLIENT)) {
        expect({ name, found: wire.includes(canary) }).toEqual({ name, found: false });
      }
    }
  });
});
