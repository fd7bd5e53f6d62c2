/**
 * `npm start` on a clean machine: no provider credentials in the environment, no cluster. It starts,
 * prints which models go where and the URL, and answers `/v1/models`; with Ollama running, it lists
 * and serves Ollama's models.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { startFakeProvider } from "../support/fake-providers";

describe("npm start on a clean environment", () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise(resolve => child!.once("exit", resolve));
    // npm runs the gateway in a child of its own: stop the process group this test started.
    process.kill(-child.pid!, "SIGTERM");
    await exited;
  });

  /** Runs `npm start` with `env`; resolves with its URL and what it printed until then. */
  async function start(env: Record<string, string> = {}): Promise<{ url: string; stdout: string }> {
    child = spawn("npm", ["start", "--", "--port", "0"], {
      cwd: join(__dirname, "../.."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "silent", ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", chunk => (stderr += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on("data", chunk => {
        stdout += chunk;
        const found = /at (http:\/\/localhost:\d+\/v1)/.exec(stdout)?.[1];
        if (found) resolve(found.replace("localhost", "127.0.0.1"));
      });
      child!.once("exit", code => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    return { url, stdout };
  }

  it("starts, prints its table and URL, and answers /v1/models", async () => {
    const { url, stdout } = await start();
    expect(stdout).toContain("MODEL  BACKEND         SCHEMA  ENDPOINT                PRIORITY\n");
    expect(stdout).toContain("/.*/   default/ollama  OpenAI  http://localhost:11434  0\n");
    expect(stdout).toContain("AI gateway serving the default configuration (from the environment)");
    const response = await fetch(`${url}/models`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: "list", data: [] });
  }, 60_000);

  it("lists the models of a running Ollama at /v1/models, and serves them", async () => {
    const ollama = await startFakeProvider("openai", {
      checkAuth: false,
      listedModels: ["llama3.2:3b", "qwen2.5:7b"],
    });
    try {
      const { url, stdout } = await start({ OLLAMA_HOST: `127.0.0.1:${ollama.port}` });
      expect(stdout).toContain(
        `/.*/   default/ollama  OpenAI  http://127.0.0.1:${ollama.port}  0\n`,
      );
      const response = await fetch(`${url}/models`);
      const { data } = (await response.json()) as { data: Array<{ id: string; owned_by: string }> };
      expect(data.map(model => [model.id, model.owned_by])).toEqual([
        ["llama3.2:3b", "Ollama"],
        ["qwen2.5:7b", "Ollama"],
      ]);
      const chat = await fetch(`${url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "llama3.2:3b", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(chat.status).toBe(200);
      expect(ollama.requests.at(-1)?.body).toMatchObject({ model: "llama3.2:3b" });
    } finally {
      await ollama.close();
    }
  }, 60_000);
});
