/**
 * Follows the manifest files and folders `run` was given: any change (written in place, replaced by
 * a rename as editors save, added, removed) asks for one reload, after a short quiet time so a save
 * that touches several files reloads once. Each file is watched through its folder, since a rename
 * replaces the file a watch on the file itself would follow.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { statSync } from "node:fs";
import { STDIN } from "../cli/manifests";

export interface ManifestWatchOptions {
  paths: readonly string[];
  /** Called after the changes have settled; never twice at once. */
  reload: () => Promise<void>;
  /** How long a change waits for more. Default 100 ms. */
  debounceMs?: number;
  onError: (error: Error) => void;
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

export class ManifestWatch {
  private readonly watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ManifestWatchOptions) {}

  start(): void {
    for (const path of this.options.paths) {
      if (path === STDIN) continue; // read once: there is nothing to follow
      const folder = isDirectory(path);
      const name = basename(path);
      const watcher = watch(folder ? path : dirname(path), { persistent: false }, (_, file) => {
        if (folder || file === null || file === name) this.schedule();
      });
      watcher.on("error", error => this.options.onError(error));
      this.watchers.push(watcher);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    await this.reloading;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.options.debounceMs ?? 100);
  }

  /** One reload at a time; a change during one makes one more after it. */
  private run(): void {
    if (this.reloading) {
      this.again = true;
      return;
    }
    this.reloading = this.options.reload().finally(() => {
      this.reloading = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.run();
      }
    });
  }
}
