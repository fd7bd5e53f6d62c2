/**
 * The routes the data plane serves, each a `RouteConfig` the control plane wrote, keyed by
 * `<namespace>/<name>`. A document replaces its route only once it parses completely; an invalid one
 * is refused with a message and the route keeps serving what it served. The credentials of the
 * route's backends go to the `BackendAuthRegistry`, which rotates them without dropping requests.
 */
import type { BackendAuthRegistry } from "../auth/registry";
import { RouteConfig, RouteConfigSchema } from "../contract/route-config";
import { errorMessage } from "../lib/error-message";
import { formatZodIssues } from "../lib/zod-issues";

export const routeKeyOf = (route: { namespace: string; name: string }) =>
  `${route.namespace}/${route.name}`;

/** A route document that was refused. */
export class InvalidRouteConfig extends Error {
  override readonly name = "InvalidRouteConfig";
}

export class RouteStore {
  private readonly routes = new Map<string, RouteConfig>();

  constructor(private readonly auth: BackendAuthRegistry) {}

  get(key: string): RouteConfig | undefined {
    return this.routes.get(key);
  }

  keys(): string[] {
    return [...this.routes.keys()];
  }

  /** How many routes are served. */
  get size(): number {
    return this.routes.size;
  }

  /**
   * Parses `document` (JSON text or a parsed value) and serves it, replacing the route it names.
   * Returns the route's key.
   * @throws InvalidRouteConfig naming `source` and every problem; the store is unchanged.
   */
  load(document: string | unknown, source: string): string {
    let value: unknown = document;
    if (typeof document === "string") {
      try {
        value = JSON.parse(document);
      } catch (error) {
        // The parser's message may quote the text, and a document carries credentials.
        const position = /position (\d+)/.exec(errorMessage(error))?.[1];
        throw new InvalidRouteConfig(
          `${source}: not JSON${position === undefined ? "" : ` (at position ${position})`}`,
        );
      }
    }
    const parsed = RouteConfigSchema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidRouteConfig(`${source}: ${formatZodIssues(parsed.error.issues)}`);
    }
    const route = parsed.data;
    const key = routeKeyOf(route);
    const previous = this.routes.get(key);
    this.routes.set(key, route);
    for (const backend of backendsOf(route)) {
      // Installs at once (a request joins the first token fetch); rotation keeps the old one
      // serving until the new one is warm. The outcome is reported by the registry's logs.
      if (backend.auth) void this.auth.update(backend.id, backend.auth);
    }
    if (previous) this.forgetUnusedCredentials(previous);
    return key;
  }

  /** Stops serving the route; its backends' credentials go unless another route uses them. */
  remove(key: string): boolean {
    const previous = this.routes.get(key);
    if (!previous) return false;
    this.routes.delete(key);
    this.forgetUnusedCredentials(previous);
    return true;
  }

  private forgetUnusedCredentials(route: RouteConfig): void {
    const inUse = new Set(
      [...this.routes.values()].flatMap(other =>
        backendsOf(other).flatMap(backend => (backend.auth ? [backend.id] : [])),
      ),
    );
    for (const backend of backendsOf(route)) {
      if (!inUse.has(backend.id)) this.auth.remove(backend.id);
    }
  }
}

const backendsOf = (route: RouteConfig) => route.rules.flatMap(rule => rule.backends);
