/** The settings of `ai-gateway run`, from its flags, checked before anything starts. */
import { z } from "zod";
import { formatZodIssues } from "../lib/zod-issues";

export const RunSettingsSchema = z.object({
  /** Manifest files and folders (`-` is standard input); none serves the built-in default. */
  files: z.array(z.string().min(1)).default([]),
  /** The port of the OpenAI-compatible API; 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65535).default(1975),
  /** The address to listen on: this machine only, unless told otherwise. */
  host: z.string().min(1).default("127.0.0.1"),
  /** How long a request's fallbacks may take, from its first backend's failure. */
  fallbackBudgetSeconds: z.coerce.number().min(0).max(3600).default(60),
  /** How long a failed backend is passed over. */
  coolDownSeconds: z.coerce.number().min(0).max(3600).default(10),
});
export type RunSettings = z.infer<typeof RunSettingsSchema>;

type ValueFlag = Exclude<keyof RunSettings, "files">;

export const RUN_FLAGS: Record<string, ValueFlag> = {
  "--port": "port",
  "--host": "host",
  "--fallback-budget-seconds": "fallbackBudgetSeconds",
  "--cool-down-seconds": "coolDownSeconds",
};

export class RunSettingsError extends Error {
  override readonly name = "RunSettingsError";
}

/**
 * The settings from `args`: `-f FILE` (or `--filename FILE`, `--filename=FILE`), repeatable, and
 * `--flag value` or `--flag=value`.
 * @throws RunSettingsError naming the flag and what is wrong with it.
 */
export function runSettings(args: readonly string[]): RunSettings {
  const files: string[] = [];
  const raw: Record<string, string> = {};
  const flagOf: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const found = inline ?? args[++i];
      if (found === undefined) throw new RunSettingsError(`${flag} needs a value`);
      return found;
    };
    if (flag === "-f" || flag === "--filename") {
      files.push(value());
      continue;
    }
    const key = RUN_FLAGS[flag];
    if (!key) throw new RunSettingsError(`unknown argument "${args[i]}"`);
    raw[key] = value();
    flagOf[key] = flag;
  }
  const parsed = RunSettingsSchema.safeParse({ ...raw, files });
  if (!parsed.success) {
    throw new RunSettingsError(
      parsed.error.issues
        .map(issue => {
          const key = String(issue.path[0]);
          return `${flagOf[key] ?? key}: ${formatZodIssues([{ ...issue, path: [] }])}`;
        })
        .join("; "),
    );
  }
  return parsed.data;
}
