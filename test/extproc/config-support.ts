/** Helpers of the configuration source tests. */
import winston from "winston";
import Transport from "winston-transport";
import { BackendAuthRegistry } from "../../auth/registry";
import { RouteStore } from "../../pipeline/route-store";
import { backend, modelRule, routeConfig } from "../pipeline/fixtures";
import type { RouteConfig } from "../../contract/route-config";
import type { ConfigEvent } from "../../extproc/config-sources/config-source";

/** A secret that must never appear in a log line or an event. */
export const CANARY = "sk-CANARY-0123456789";

/** A route document named `default/<name>` whose backend's API key is the canary. */
export const routeDocument = (name: string, generation = 1): RouteConfig =>
  routeConfig(
    [modelRule("gpt-4o", [backend("openai", { auth: { type: "APIKey", apiKey: CANARY } })])],
    { name, generation },
  );

export const documentText = (name: string, generation = 1) =>
  JSON.stringify(routeDocument(name, generation));

/** Text that is not JSON and quotes the canary near its start, as JSON.parse's message would. */
export const brokenText = `${CANARY} {`;

/** A valid JSON document that is not a route document, carrying the canary. */
export const invalidText = (name: string) =>
  JSON.stringify({ ...routeDocument(name, 99), generation: "ninety-nine", [CANARY]: CANARY });

class Capture extends Transport {
  constructor(private readonly lines: string[]) {
    super();
  }

  override log(info: winston.Logform.TransformableInfo, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

/** A store, a logger that keeps its lines, and the events a source reports. */
export function setUp() {
  const auth = new BackendAuthRegistry();
  const store = new RouteStore(auth);
  const lines: string[] = [];
  const logger = winston.createLogger({ level: "debug", transports: [new Capture(lines)] });
  const events: ConfigEvent[] = [];
  return {
    auth,
    store,
    lines,
    logger,
    events,
    onEvent: (event: ConfigEvent) => events.push(event),
    /** The log lines at a level. */
    logged: (level: string) => lines.map(line => JSON.parse(line)).filter(l => l.level === level),
    close: () => auth.close(),
  };
}

/** Resolves once `condition` holds, polling; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 1_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
