/**
 * `npm start` on a clean machine: no provider credentials in the environment, no cluster. It starts,
 * prints which models go where and the URL, and answers `/v1/models`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

describe("npm start on a clean environment", () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise(resolve => child!.once("exit", resolve));
    // npm runs the gateway in a child of its own: stop the process group this test started.
    process.kill(-child.pid!, "SIGTERM");
    await exited;
  });

  it("starts, prints its table and URL, and answers /v1/models", async () => {
    child = spawn("npm", ["start", "--", "--port", "0"], {
      cwd: join(__dirname, "../.."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "silent" },
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
        if (found) resolve(found);
      });
      child!.once("exit", code => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    expect(stdout).toContain("MODEL  BACKEND         SCHEMA  ENDPOINT                PRIORITY\n");
    expect(stdout).toContain("/.*/   default/ollama  OpenAI  http://localhost:11434  0\n");
    expect(stdout).toContain("AI gateway serving the default configuration (from the environment)");
    const response = await fetch(`${url.replace("localhost", "127.0.0.1")}/models`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: "list", data: [] });
  }, 60_000);
});
