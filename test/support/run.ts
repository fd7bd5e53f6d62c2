/** Running commands with their output shown, and failing with it. */
import { spawnSync, SpawnSyncOptions } from "node:child_process";

export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr ?? ""}${result.stdout ?? ""}`,
    );
  }
  return String(result.stdout ?? "");
}
