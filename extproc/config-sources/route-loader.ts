/**
 * The bookkeeping both configuration sources share: which route each origin (a Secret's name, a
 * file's name) last loaded, so the route goes when its origin goes; skipping unchanged documents;
 * counting and logging outcomes without ever logging a document.
 */
import type { Logger } from "winston";
import { errorMessage } from "../../lib/error-message";
import { routeKeyOf, type RouteStore } from "../../pipeline/route-store";
import type { ConfigCounts, ConfigEvent } from "./config-source";

interface Origin {
  /** Where the last document came from, for messages. */
  source: string;
  /** The last text seen, loaded or not; a rejected text is not retried until it changes. */
  text?: string;
  /** The last refusal made without a text (e.g. unreadable), not repeated while it lasts. */
  refusal?: string;
  /** The route this origin's last good document named, and that document. */
  key?: string;
  good?: unknown;
}

/**
 * JSON.parse's message quotes the start of the text it could not parse, which can be a credential:
 * keep only the position.
 */
function notJsonMessage(source: string, error: unknown): string {
  const position = /at position (\d+)/.exec(errorMessage(error))?.[1];
  return `${source}: not JSON${position === undefined ? "" : ` (at position ${position})`}`;
}

export class RouteLoader {
  private readonly origins = new Map<string, Origin>();
  /** The origin whose document the store serves, per route. */
  private readonly servedBy = new Map<string, Origin>();
  readonly counts: ConfigCounts = { loaded: 0, rejected: 0, removed: 0 };

  constructor(
    private readonly store: RouteStore,
    private readonly log: Logger,
    private readonly onEvent?: (event: ConfigEvent) => void,
  ) {}

  /** The origins seen and not forgotten. */
  originNames(): string[] {
    return [...this.origins.keys()];
  }

  /**
   * Serves `text` as the document of `origin`, unless it is the text last seen there.
   * @param expectedKey the route the origin is known to carry (a Secret's annotation); a document
   *   naming another route is refused, so one origin cannot replace another route's document.
   */
  apply(origin: string, text: string, source: string, expectedKey?: string): void {
    const state = this.origins.get(origin) ?? { source };
    this.origins.set(origin, state);
    if (state.text === text) return;
    state.text = text;
    state.refusal = undefined;
    state.source = source;

    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      this.reject(state, notJsonMessage(source, error));
      return;
    }
    const named = namedRoute(document);
    if (expectedKey !== undefined && named !== undefined && named !== expectedKey) {
      this.reject(state, `${source}: the document is for route ${named}, not ${expectedKey}`);
      return;
    }
    let key: string;
    try {
      key = this.store.load(document, source);
    } catch (error) {
      this.reject(state, errorMessage(error));
      return;
    }
    const previous = state.key;
    state.key = key;
    state.good = document;
    if (this.claimants(key).length > 1) {
      this.log.warn("more than one source carries this route; the last loaded serves", {
        route: key,
        source,
      });
    }
    this.servedBy.set(key, state);
    this.loaded(key, source);
    if (previous !== undefined && previous !== key) this.release(previous, state, source);
  }

  /** Refuses the current content of `origin` for a reason found before parsing it. */
  refuse(origin: string, source: string, message: string): void {
    const state = this.origins.get(origin) ?? { source };
    this.origins.set(origin, state);
    if (state.text === undefined && state.refusal === message) return;
    state.text = undefined;
    state.refusal = message;
    state.source = source;
    this.reject(state, message);
  }

  /** The origin is gone: its route stops being served (unless another origin carries it too). */
  forget(origin: string, source: string): void {
    const state = this.origins.get(origin);
    if (!state) return;
    this.origins.delete(origin);
    if (state.key !== undefined) this.release(state.key, state, source);
  }

  private claimants(key: string): Origin[] {
    return [...this.origins.values()].filter(origin => origin.key === key);
  }

  /** `origin` no longer carries `key`. */
  private release(key: string, origin: Origin, source: string): void {
    if (this.servedBy.get(key) !== origin) return;
    const other = this.claimants(key)[0];
    if (other) {
      // Another origin carries the same route: serve its document again.
      this.servedBy.set(key, other);
      try {
        this.store.load(other.good, other.source);
        this.loaded(key, other.source);
      } catch (error) {
        this.reject(other, errorMessage(error));
      }
      return;
    }
    this.servedBy.delete(key);
    if (!this.store.remove(key)) return;
    this.counts.removed++;
    this.log.info("route removed", { route: key, source });
    this.onEvent?.({ type: "removed", key, source });
  }

  private loaded(key: string, source: string): void {
    const generation = this.store.get(key)?.generation ?? 0;
    this.counts.loaded++;
    this.log.info("route loaded", { route: key, generation, source });
    this.onEvent?.({ type: "loaded", key, generation, source });
  }

  private reject(state: Origin, message: string): void {
    this.counts.rejected++;
    const serving = state.key !== undefined && this.store.get(state.key) ? state.key : undefined;
    this.log.error(
      serving
        ? "route configuration rejected; the route keeps its last good configuration"
        : "route configuration rejected",
      { source: state.source, error: message, ...(serving ? { route: serving } : {}) },
    );
    this.onEvent?.({
      type: "rejected",
      source: state.source,
      message,
      ...(serving ? { key: serving } : {}),
    });
  }
}

/** The `namespace/name` a parsed document names, when it names one. */
function namedRoute(document: unknown): string | undefined {
  if (typeof document !== "object" || document === null) return undefined;
  const { namespace, name } = document as Record<string, unknown>;
  return typeof namespace === "string" && typeof name === "string"
    ? routeKeyOf({ namespace, name })
    : undefined;
}
