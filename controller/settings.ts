/** The controller's configuration: where the ext_proc server is and how its config is stored. */
import { z } from "zod";

export const ControllerSettingsSchema = z.object({
  /** The ext_proc server's Service host, which every generated Backend points at. */
  extProcHost: z.string().min(1).default("ai-gateway-extproc.ai-gateway-system.svc.cluster.local"),
  extProcPort: z.coerce.number().int().min(1).max(65535).default(1063),
  /** The namespace of the ext_proc server, where its configuration Secrets are written. */
  extProcNamespace: z.string().min(1).default("ai-gateway-system"),
  /** Each route's configuration Secret is `<prefix>.<namespace>.<name>`, labelled with the prefix. */
  configSecretPrefix: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label, without dots")
    .default("ai-gateway-config"),
  /** How long Envoy waits for each ext_proc answer; its 200 ms default is far too short. */
  extProcMessageTimeout: z.string().default("10s"),
  /**
   * The largest request body Envoy buffers for the ext_proc server (a Kubernetes quantity, as Envoy
   * Gateway's `requestBuffer.limit`); larger requests get 413. 10 MiB: a long conversation or a few
   * images, at the cost of that much of Envoy's memory per such request in flight.
   */
  requestBufferLimit: z
    .string()
    .regex(/^[1-9][0-9]*([EPTGMK]i|[EPTGMk])?$/, "must be a quantity such as 10Mi or 1048576")
    .default("10Mi"),
  /** How often every object is reconciled again, as a safety net for dropped watch events. */
  resyncSeconds: z.coerce.number().int().min(10).default(300),
});
export type ControllerSettings = z.infer<typeof ControllerSettingsSchema>;

const ENV_NAMES: Record<keyof ControllerSettings, string> = {
  extProcHost: "AIGW_EXTPROC_HOST",
  extProcPort: "AIGW_EXTPROC_PORT",
  extProcNamespace: "AIGW_EXTPROC_NAMESPACE",
  configSecretPrefix: "AIGW_CONFIG_SECRET_PREFIX",
  extProcMessageTimeout: "AIGW_EXTPROC_MESSAGE_TIMEOUT",
  requestBufferLimit: "AIGW_REQUEST_BUFFER_LIMIT",
  resyncSeconds: "AIGW_RESYNC_SECONDS",
};

/** Settings from `AIGW_*` environment variables (set them under `pepr.env` in package.json). */
export function settingsFromEnv(env: Record<string, string | undefined>): ControllerSettings {
  const raw = Object.fromEntries(
    Object.entries(ENV_NAMES)
      .map(([key, name]) => [key, env[name]])
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = ControllerSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      i => `${ENV_NAMES[i.path[0] as keyof ControllerSettings]}: ${i.message}`,
    );
    throw new Error(`invalid controller settings: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export const DEFAULT_SETTINGS: ControllerSettings = ControllerSettingsSchema.parse({});
