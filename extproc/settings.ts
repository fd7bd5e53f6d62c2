/**
 * The ext_proc server's settings, from flags or `AIGW_*` environment variables (flags win), checked
 * before anything starts.
 */
import { z } from "zod";
import { formatZodIssues } from "../lib/zod-issues";

export const ExtProcSettingsSchema = z.object({
  /** The gRPC port Envoy connects to; 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65535).default(1063),
  /** Also (or, with port 0 and no host, only) listen on this Unix socket. */
  socket: z.string().min(1).optional(),
  /** The address to listen on. */
  host: z.string().min(1).default("0.0.0.0"),
  /** Where the route configuration Secrets are, and their name prefix (the label's value). */
  namespace: z.string().min(1).default("ai-gateway-system"),
  configSecretPrefix: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label, without dots")
    .default("ai-gateway-config"),
  /** Read route documents from this folder instead of watching Secrets. */
  configDir: z.string().min(1).optional(),
  /** The port of `/metrics` (Prometheus); 0 picks a free one. */
  metricsPort: z.coerce.number().int().min(0).max(65535).default(1064),
  /**
   * How long the server keeps taking new streams after SIGTERM, reporting NOT_SERVING, before it
   * drains: Envoy reaches it through its Service, and a connection opened before the cluster's
   * proxies have dropped a terminating pod would otherwise be refused, and its request failed.
   */
  shutdownDelaySeconds: z.coerce.number().min(0).max(3600).default(0),
  /** How long open streams may take to finish after SIGTERM (and the shutdown delay). */
  drainSeconds: z.coerce.number().min(0).max(3600).default(15),
  /**
   * How long a request's fallbacks may take, from its first backend's failure. Keep it under the
   * filter's message timeout (10 s by default): Envoy waits that long at most for the answer that
   * carries a fallback.
   */
  fallbackBudgetSeconds: z.coerce.number().min(0).max(3600).default(9),
  /** How long a failed backend is passed over. */
  coolDownSeconds: z.coerce.number().min(0).max(3600).default(10),
});
export type ExtProcSettings = z.infer<typeof ExtProcSettingsSchema>;

/** Each setting's flag and environment variable. */
export const SETTING_NAMES: Record<keyof ExtProcSettings, { flag: string; env: string }> = {
  port: { flag: "--port", env: "AIGW_EXTPROC_PORT" },
  socket: { flag: "--socket", env: "AIGW_EXTPROC_SOCKET" },
  host: { flag: "--host", env: "AIGW_EXTPROC_LISTEN_HOST" },
  namespace: { flag: "--namespace", env: "AIGW_EXTPROC_NAMESPACE" },
  configSecretPrefix: { flag: "--config-secret-prefix", env: "AIGW_CONFIG_SECRET_PREFIX" },
  configDir: { flag: "--config-dir", env: "AIGW_CONFIG_DIR" },
  metricsPort: { flag: "--metrics-port", env: "AIGW_METRICS_PORT" },
  shutdownDelaySeconds: { flag: "--shutdown-delay-seconds", env: "AIGW_SHUTDOWN_DELAY_SECONDS" },
  drainSeconds: { flag: "--drain-seconds", env: "AIGW_DRAIN_SECONDS" },
  fallbackBudgetSeconds: { flag: "--fallback-budget-seconds", env: "AIGW_FALLBACK_BUDGET_SECONDS" },
  coolDownSeconds: { flag: "--cool-down-seconds", env: "AIGW_COOL_DOWN_SECONDS" },
};

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/**
 * The settings from `args` (`--flag value` or `--flag=value`) over `env`.
 * @throws SettingsError naming the flag or variable and what is wrong with it.
 */
export function extProcSettings(
  args: readonly string[],
  env: Record<string, string | undefined>,
): ExtProcSettings {
  const byFlag = new Map(
    Object.entries(SETTING_NAMES).map(([key, names]) => [names.flag, key as keyof ExtProcSettings]),
  );
  const raw: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [key, names] of Object.entries(SETTING_NAMES)) {
    const value = env[names.env];
    if (value !== undefined && value !== "") {
      raw[key] = value;
      origin[key] = names.env;
    }
  }
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const key = byFlag.get(flag);
    if (!key) throw new SettingsError(`unknown flag "${flag}"`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new SettingsError(`${flag} needs a value`);
    raw[key] = value;
    origin[key] = flag;
  }
  const parsed = ExtProcSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SettingsError(
      parsed.error.issues
        .map(issue => {
          const key = String(issue.path[0]);
          return `${origin[key] ?? key}: ${formatZodIssues([{ ...issue, path: [] }])}`;
        })
        .join("; "),
    );
  }
  return parsed.data;
}
