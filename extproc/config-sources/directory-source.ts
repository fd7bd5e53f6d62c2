/**
 * Route documents from files: every `*.json` file in one folder is one route's document (what its
 * configuration Secret holds under `route.json`), for a server run without API access or with the
 * Secrets mounted as a volume.
 *
 * The folder is watched, and any change in it re-reads every file, comparing each with what was
 * read before, so it does not matter how the change was made: written in place, replaced by a rename
 * (as editors save), removed, or swapped as Kubernetes updates a mounted Secret or ConfigMap (the
 * visible files are symlinks through `..data`, itself a symlink renamed atomically onto a new
 * timestamped folder). Names starting with a dot (`..data`, editors' temporary files) are not read.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "winston";
import { componentLogger } from "../../lib/logger";
import { errorMessage } from "../../lib/error-message";
import type { ConfigCounts, ConfigSource, ConfigSourceOptions } from "./config-source";
import { RouteLoader } from "./route-loader";

export interface DirectoryConfigSourceOptions extends ConfigSourceOptions {
  /** The folder of route documents. */
  dir: string;
  /** How long a change waits for more before the folder is read again. Default 100 ms. */
  debounceMs?: number;
  /**
   * Reads the folder again this often even without a change event, in case one was missed (0: never).
   * Default 60 s.
   */
  rescanIntervalMs?: number;
}

/** A system error's code; not by `instanceof Error`, which fails across realms (e.g. under jest). */
const codeOf = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;

type Read = { name: string; text: string } | { name: string; error: string };

/**
 * Serves the `*.json` documents of a folder and follows its changes.
 *
 * - A new or changed file is loaded; an invalid one is logged (the store's message) and counted,
 *   and its route keeps its last good document. A file read again unchanged is skipped.
 * - A removed file removes the route it had loaded.
 * - `start()` resolves once every file present is loaded (or refused); it rejects when the folder
 *   cannot be read. A watch error after that is reported to `onFailure`.
 */
export class DirectoryConfigSource implements ConfigSource {
  private readonly loader: RouteLoader;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly rescanIntervalMs: number;
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private rescan?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private scanAgain = false;
  private started = false;
  private stopped = false;
  private failed = false;

  constructor(private readonly options: DirectoryConfigSourceOptions) {
    this.log = options.logger ?? componentLogger("config");
    this.loader = new RouteLoader(options.store, this.log, options.onEvent);
    this.debounceMs = options.debounceMs ?? 100;
    this.rescanIntervalMs = options.rescanIntervalMs ?? 60_000;
  }

  /** True once the folder's files are loaded, until a watch error or `stop()`. */
  ready(): boolean {
    return this.started && !this.failed && !this.stopped;
  }

  /** Running totals of loads, refusals and removals. */
  counts(): Readonly<ConfigCounts> {
    return { ...this.loader.counts };
  }

  async start(): Promise<void> {
    if (this.watcher) throw new Error("the directory configuration source is already started");
    const { dir } = this.options;
    // Watch first, so a change made while the folder is first read is not missed.
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.schedule());
    } catch (error) {
      throw new Error(`cannot follow the route folder ${dir}: ${errorMessage(error)}`);
    }
    this.watcher.on("error", error => this.onWatchError(error));
    try {
      this.scanning = this.scan(true).finally(() => (this.scanning = undefined));
      await this.scanning;
    } catch (error) {
      this.watcher.close();
      throw error;
    }
    if (this.rescanIntervalMs > 0) {
      this.rescan = setInterval(() => this.schedule(), this.rescanIntervalMs);
      this.rescan.unref();
    }
    this.started = true;
    this.log.info("route configuration folder read", {
      dir,
      files: this.loader.originNames().length,
      routes: this.options.store.keys().length,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.debounce);
    clearInterval(this.rescan);
    await this.scanning;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.scanSoon(), this.debounceMs);
  }

  /** Reads the folder, or once more after the read in progress. */
  private async scanSoon(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return;
    }
    const run = async () => {
      do {
        this.scanAgain = false;
        try {
          await this.scan(false);
        } catch (error) {
          this.log.error("the route configuration folder could not be read", {
            dir: this.options.dir,
            error: errorMessage(error),
          });
        }
      } while (this.scanAgain && !this.stopped);
    };
    this.scanning = run().finally(() => (this.scanning = undefined));
    await this.scanning;
  }

  /** Reads every document, then applies them all at once: loads, refusals and removals. */
  private async scan(initial: boolean): Promise<void> {
    const { dir } = this.options;
    const names = (await readdir(dir))
      .filter(name => name.endsWith(".json") && !name.startsWith("."))
      .sort();
    const reads = await Promise.all(names.map(name => this.read(name)));
    if (this.stopped && !initial) return;
    const present = new Set<string>();
    for (const read of reads) {
      if (!read) continue;
      present.add(read.name);
      const source = `file ${join(dir, read.name)}`;
      if ("error" in read) this.loader.refuse(read.name, source, `${source}: ${read.error}`);
      else this.loader.apply(read.name, read.text, source);
    }
    for (const name of this.loader.originNames()) {
      if (!present.has(name)) this.loader.forget(name, `file ${join(dir, name)}`);
    }
  }

  /** A file's text; undefined when it is gone or is not a file. */
  private async read(name: string): Promise<Read | undefined> {
    try {
      return { name, text: await readFile(join(this.options.dir, name), "utf8") };
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "EISDIR") return undefined;
      return { name, error: `unreadable (${code ?? errorMessage(error)})` };
    }
  }

  private onWatchError(error: Error): void {
    if (this.stopped || this.failed) return;
    this.failed = true;
    this.log.error("the route configuration folder can no longer be watched", {
      dir: this.options.dir,
      error: error.message,
    });
    this.watcher?.close();
    this.options.onFailure?.(error);
  }
}
