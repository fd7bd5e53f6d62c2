/**
 * Where the ext_proc server's route documents come from: the control plane's configuration Secrets
 * (`SecretConfigSource`) or files in a folder (`DirectoryConfigSource`). Each source feeds one
 * `RouteStore`: a document replaces its route only when it is valid, so a bad one is refused (logged
 * with the store's message, never the document: it carries credentials) and the route keeps serving
 * its last good document.
 */
import type { Logger } from "winston";
import type { RouteStore } from "../../pipeline/route-store";

/** A source of route documents; it writes into the store it was given. */
export interface ConfigSource {
  /**
   * Loads every document there is now, then keeps following changes. Resolves once the initial
   * documents are in the store (so the server can report ready knowing its routes); rejects when
   * the source cannot be read at all.
   */
  start(): Promise<void>;
  /** Stops following changes. The store keeps what was loaded. */
  stop(): Promise<void>;
}

/** What became of one document; `source` names where it came from (a Secret, a file). */
export type ConfigEvent =
  | { type: "loaded"; key: string; generation: number; source: string }
  | { type: "rejected"; source: string; message: string; key?: string }
  | { type: "removed"; key: string; source: string };

/** Running totals of a source's outcomes, e.g. for metrics. */
export interface ConfigCounts {
  /** Documents served (initial and changed). */
  loaded: number;
  /** Documents refused; the route they named (if any) kept its last good document. */
  rejected: number;
  /** Routes no longer served because their Secret or file went. */
  removed: number;
}

/** What every source takes besides where to read. */
export interface ConfigSourceOptions {
  /** The store the documents go to. */
  store: RouteStore;
  /** Called for every load, refusal and removal, after the store has changed. */
  onEvent?: (event: ConfigEvent) => void;
  /**
   * Called when the source stops following changes on its own after `start()` resolved (a watch
   * that gave up): the store keeps serving what it has, but nothing new arrives. A server should
   * exit so that it restarts with fresh state. A failure before then rejects `start()` instead.
   */
  onFailure?: (error: Error) => void;
  /** Defaults to the `config` component logger. */
  logger?: Logger;
}
