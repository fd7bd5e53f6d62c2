import { mkdir, mkdtemp, readFile, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectoryConfigSource } from "../../extproc/config-sources/directory-source";
import { brokenText, CANARY, documentText, invalidText, setUp, waitFor } from "./config-support";

describe("DirectoryConfigSource", () => {
  let dir: string;
  let env: ReturnType<typeof setUp>;
  let source: DirectoryConfigSource | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "route-config-"));
    env = setUp();
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    env.close();
    await rm(dir, { recursive: true, force: true });
    // Nothing logged, in any case, may carry a credential.
    expect(env.lines.join("\n")).not.toContain("CANARY");
    expect(JSON.stringify(env.events)).not.toContain("CANARY");
  });

  const start = async (folder = dir) => {
    source = new DirectoryConfigSource({
      dir: folder,
      store: env.store,
      logger: env.logger,
      onEvent: env.onEvent,
      debounceMs: 20,
      rescanIntervalMs: 0,
    });
    await source.start();
    return source;
  };

  const generationOf = (name: string) => env.store.get(`default/${name}`)?.generation;

  it("serves every *.json file once started, and nothing else in the folder", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    await writeFile(join(dir, "b.json"), documentText("b", 3));
    await writeFile(join(dir, "notes.txt"), documentText("c"));
    await writeFile(join(dir, ".hidden.json"), documentText("d"));
    await mkdir(join(dir, "folder.json"));

    const started = await start();

    expect(env.store.keys().sort()).toEqual(["default/a", "default/b"]);
    expect(generationOf("b")).toBe(3);
    expect(started.ready()).toBe(true);
    expect(started.counts()).toEqual({ loaded: 2, rejected: 0, removed: 0 });
    const loaded = env.logged("info").filter(line => line.message === "route loaded");
    expect(loaded).toEqual([
      expect.objectContaining({ route: "default/a", generation: 1, source: `file ${dir}/a.json` }),
      expect.objectContaining({ route: "default/b", generation: 3, source: `file ${dir}/b.json` }),
    ]);
  });

  /**
   * Replaces a file at once, as editors and the kubelet do (a write in place can be read half
   * done, and refused until the rest arrives).
   */
  const put = async (name: string, text: string) => {
    await writeFile(join(dir, `.${name}.tmp`), text);
    await rename(join(dir, `.${name}.tmp`), join(dir, name));
  };

  it("follows a file written in place", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    await writeFile(join(dir, "b.json"), documentText("b"));
    await start();

    await writeFile(join(dir, "a.json"), documentText("a", 2));
    await waitFor(() => generationOf("a") === 2, "generation 2 of a");
    expect(generationOf("b")).toBe(1);
  });

  it("follows changed files, and skips a rewrite with the same content", async () => {
    await put("a.json", documentText("a"));
    await put("b.json", documentText("b"));
    const started = await start();

    await put("a.json", documentText("a", 2));
    await waitFor(() => generationOf("a") === 2, "generation 2 of a");
    await put("b.json", documentText("b"));
    await put("a.json", documentText("a", 3));
    await waitFor(() => generationOf("a") === 3, "generation 3 of a");
    expect(started.counts()).toEqual({ loaded: 4, rejected: 0, removed: 0 });
    expect(env.events.map(event => event.type === "loaded" && event.key)).toEqual([
      "default/a",
      "default/b",
      "default/a",
      "default/a",
    ]);
  });

  it.each([
    ["text that is not JSON", brokenText, /^file .*a\.json: not JSON( \(at position \d+\))?$/],
    ["a document that does not validate", invalidText("a"), /^file .*a\.json: generation: /],
  ])("refuses %s and keeps serving the last good document", async (_name, text, message) => {
    await writeFile(join(dir, "a.json"), documentText("a", 2));
    const started = await start();

    await put("a.json", text);
    await waitFor(() => started.counts().rejected === 1, "the refusal");

    expect(generationOf("a")).toBe(2);
    expect(env.events.at(-1)).toEqual({
      type: "rejected",
      key: "default/a",
      source: `file ${dir}/a.json`,
      message: expect.stringMatching(message),
    });
    const [error] = env.logged("error");
    expect(error).toMatchObject({ route: "default/a", error: expect.stringMatching(message) });

    // Fixed again: served again.
    await put("a.json", documentText("a", 4));
    await waitFor(() => generationOf("a") === 4, "generation 4 of a");
  });

  it("refuses a bad file at start, serving the others", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    await writeFile(join(dir, "bad.json"), brokenText);
    const started = await start();
    expect(env.store.keys()).toEqual(["default/a"]);
    expect(started.counts()).toEqual({ loaded: 1, rejected: 1, removed: 0 });
    expect(started.ready()).toBe(true);
  });

  it("removes the route of a removed file, and only that one", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    await writeFile(join(dir, "b.json"), documentText("b"));
    const started = await start();

    await unlink(join(dir, "a.json"));
    await waitFor(() => !env.store.get("default/a"), "default/a to go");

    expect(env.store.keys()).toEqual(["default/b"]);
    expect(started.counts().removed).toBe(1);
    expect(env.logged("info")).toContainEqual(
      expect.objectContaining({
        message: "route removed",
        route: "default/a",
        source: `file ${dir}/a.json`,
      }),
    );
  });

  it("follows a file renamed to another name: the same route, served throughout", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    const started = await start();

    await rename(join(dir, "a.json"), join(dir, "renamed.json"));
    await waitFor(() => started.counts().loaded === 2, "the file under its new name");
    expect(generationOf("a")).toBe(1);
    expect(started.counts().removed).toBe(0);
  });

  it("follows Kubernetes' atomic swap of a mounted volume's ..data symlink", async () => {
    // What the kubelet writes: a timestamped folder, `..data` pointing at it, and each key a
    // symlink through `..data`.
    await mkdir(join(dir, "..2024_01_01_00_00_00.1"));
    await writeFile(join(dir, "..2024_01_01_00_00_00.1", "a.json"), documentText("a"));
    await writeFile(join(dir, "..2024_01_01_00_00_00.1", "b.json"), documentText("b"));
    await symlink("..2024_01_01_00_00_00.1", join(dir, "..data"));
    await symlink(join("..data", "a.json"), join(dir, "a.json"));
    await symlink(join("..data", "b.json"), join(dir, "b.json"));
    const started = await start();
    expect(env.store.keys().sort()).toEqual(["default/a", "default/b"]);

    // An update: a new folder, a new `..data_tmp` link renamed over `..data`, the old folder gone;
    // b.json leaves the volume (its key was removed from the Secret).
    await mkdir(join(dir, "..2024_01_01_00_01_00.2"));
    await writeFile(join(dir, "..2024_01_01_00_01_00.2", "a.json"), documentText("a", 2));
    await symlink("..2024_01_01_00_01_00.2", join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    await unlink(join(dir, "b.json"));
    await rm(join(dir, "..2024_01_01_00_00_00.1"), { recursive: true });

    await waitFor(() => generationOf("a") === 2 && !env.store.get("default/b"), "the swap");
    expect(await readFile(join(dir, "a.json"), "utf8")).toBe(documentText("a", 2));
    expect(started.counts()).toEqual({ loaded: 3, rejected: 0, removed: 1 });
  });

  it("stops following the folder once stopped", async () => {
    await writeFile(join(dir, "a.json"), documentText("a"));
    const started = await start();
    await started.stop();
    expect(started.ready()).toBe(false);

    await writeFile(join(dir, "a.json"), documentText("a", 2));
    await writeFile(join(dir, "b.json"), documentText("b"));
    // A fresh source sees the change: the stopped one never will.
    const other = new DirectoryConfigSource({ dir, store: env.store, logger: env.logger });
    await other.start();
    await other.stop();
    expect(generationOf("a")).toBe(2);
    expect(started.counts().loaded).toBe(1);
  });

  it("rejects start when the folder cannot be read", async () => {
    await expect(start(join(dir, "missing"))).rejects.toThrow(/ENOENT/);
  });

  it("never logs a document's content", async () => {
    await writeFile(join(dir, "a.json"), `{"apiKey": "${CANARY}" oops`);
    await writeFile(join(dir, "b.json"), invalidText("b"));
    const started = await start();
    expect(started.counts().rejected).toBe(2);
    expect(env.logged("error")).toHaveLength(2);
    // afterEach checks every line and event for the canary.
  });
});
