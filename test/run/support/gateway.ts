/** `ai-gateway run` on loopback for tests: started from manifest files, and an SDK pointed at it. */
import OpenAI from "openai";
import { rootLogger } from "../../../lib/logger";
import { startRun, type RunDeps, type RunningGateway } from "../../../run/main";
import { RunSettingsSchema, type RunSettings } from "../../../run/settings";

/** The key the client sends the gateway: it must never reach a provider. */
export const CLIENT_API_KEY = "sk-client-own-key-must-not-travel";

export async function startGateway(
  settings: Partial<RunSettings>,
  deps: RunDeps = {},
): Promise<RunningGateway> {
  return startRun(RunSettingsSchema.parse({ port: 0, host: "127.0.0.1", ...settings }), {
    logger: rootLogger,
    debounceMs: 20,
    ...deps,
  });
}

/** An OpenAI SDK client for the gateway; no retries, so each call is one request. */
export const clientOf = (gateway: RunningGateway, apiKey = CLIENT_API_KEY) =>
  new OpenAI({
    baseURL: `http://127.0.0.1:${gateway.port}/v1`,
    apiKey,
    maxRetries: 0,
    timeout: 10_000,
  });
