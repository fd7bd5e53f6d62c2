/**
 * The data plane's authenticators, one per backend, and credential rotation. The control plane
 * rewrites a route's config (rotated credentials included) in the Secret the data plane reads;
 * the data plane hands each backend's new config to `update()`, which replaces the authenticator
 * without a window in which requests fail:
 *
 * - an unchanged config (compared by digest) keeps the authenticator and its cached token as they
 *   are: no rebuild, no fetch;
 * - a changed config builds a new authenticator and warms it (fetches its first token) while the
 *   old one keeps serving, then swaps it in and closes the old one;
 * - when the new one cannot be built or warmed, the old one keeps serving and `lastError()` says
 *   why, unless the old one can no longer serve (its credential expired): then the new one is
 *   installed anyway and retries on its own schedule, since it is the config that is wanted.
 *
 * Nothing here logs or returns a config: only backend ids, types and sanitised errors.
 */
import { createHash } from "node:crypto";
import type { Logger } from "winston";
import { componentLogger } from "../lib/logger";
import type { BackendAuthConfig, BackendAuthConfigInput } from "../contract/credentials";
import { parseBackendAuthConfig } from "./config";
import { createBackendAuth } from "./create-backend-auth";
import { AuthError, describeFailure } from "./errors";
import type { BackendAuth, BackendAuthOptions } from "./types";

/** What `update()` did. */
export type RotationOutcome =
  /** The config is the one already serving (or already warming): nothing was rebuilt. */
  | "unchanged"
  /** The backend had no authenticator; the new one is installed and warm. */
  | "installed"
  /** The new authenticator warmed and replaced the old one, which is closed. */
  | "rotated"
  /** The new config failed (invalid, or its first fetch failed); the old one keeps serving. */
  | "kept-previous"
  /**
   * The new config is installed but its first fetch failed (nothing usable to keep): requests fail
   * with its error until its own retries succeed. Also: an invalid config with nothing to keep.
   */
  | "failed"
  /** A later `update()` or `remove()` for the backend replaced this one before it finished. */
  | "superseded";

export interface RotationResult {
  outcome: RotationOutcome;
  /** Why the new config is not serving, or not yet warm. Safe to log and put in status. */
  error?: string;
}

export interface BackendAuthRegistryOptions extends BackendAuthOptions {
  /** Builds an authenticator; tests substitute their own. Default `createBackendAuth`. */
  create?: (config: BackendAuthConfig, options: BackendAuthOptions) => BackendAuth;
}

interface Installed {
  auth: BackendAuth;
  digest: string;
}

interface Pending extends Installed {
  done: Promise<RotationResult>;
}

interface Slot {
  current?: Installed;
  /** A replacement still warming while `current` serves. */
  pending?: Pending;
  /** Why the last wanted config is not the one serving. */
  rotationError?: string;
}

/** The authenticators of the data plane's backends, keyed by backend id. */
export class BackendAuthRegistry {
  private readonly slots = new Map<string, Slot>();
  private readonly create: NonNullable<BackendAuthRegistryOptions["create"]>;
  private readonly authOptions: BackendAuthOptions;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: BackendAuthRegistryOptions = {}) {
    const { create, ...authOptions } = options;
    this.logger = options.logger ?? componentLogger("auth");
    this.authOptions = { ...authOptions, logger: this.logger };
    this.create = create ?? createBackendAuth;
  }

  /**
   * Applies a backend's (possibly rotated) config; resolves once the outcome is known (after the
   * new authenticator's first fetch, for token types). Never rejects for a bad or failing config:
   * the result and `lastError()` report it. Calls for one backend may overlap; the last one wins.
   */
  async update(backendId: string, config: BackendAuthConfigInput): Promise<RotationResult> {
    if (this.closed) throw new AuthError("CLOSED", "backend auth registry: closed");
    let slot = this.slots.get(backendId);
    if (!slot) {
      slot = {};
      this.slots.set(backendId, slot);
    }
    let parsed: BackendAuthConfig;
    try {
      parsed = parseBackendAuthConfig(config);
    } catch (error) {
      return this.rejectConfig(backendId, slot, error);
    }
    const digest = configDigest(parsed);
    if (slot.current?.digest === digest) {
      // Back to the config that is serving (a rotation was reverted while it warmed).
      this.dropPending(slot);
      slot.rotationError = undefined;
      return { outcome: "unchanged" };
    }
    if (slot.pending?.digest === digest) return slot.pending.done;
    this.dropPending(slot);

    let next: BackendAuth;
    try {
      next = this.create(parsed, this.authOptions);
    } catch (error) {
      return this.rejectConfig(backendId, slot, error);
    }
    const previous = slot.current;
    if (!previous || !previous.auth.ready()) {
      // Nothing usable to keep serving: install at once, so requests join the first fetch.
      slot.current = { auth: next, digest };
      slot.rotationError = undefined;
      previous?.auth.close();
      return this.warmInstalled(backendId, slot, next, previous ? "rotated" : "installed");
    }
    const candidate: Installed = { auth: next, digest };
    const done = this.warmThenSwap(backendId, slot, candidate);
    slot.pending = { ...candidate, done };
    return done;
  }

  /**
   * The backend's authenticator, or undefined when it has none. Call it per request, right before
   * `authenticate()`: a rotation closes the authenticator it replaces.
   */
  get(backendId: string): BackendAuth | undefined {
    return this.slots.get(backendId)?.current?.auth;
  }

  /**
   * Why the backend is not serving its latest config (a rotation that failed), else its
   * authenticator's last refresh failure. Safe to log and put in status.
   */
  lastError(backendId: string): string | undefined {
    const slot = this.slots.get(backendId);
    return slot?.rotationError ?? slot?.current?.auth.lastError();
  }

  /** The backends that have an entry. */
  backendIds(): string[] {
    return [...this.slots.keys()];
  }

  /** Closes the backend's authenticator (and any replacement still warming) and forgets it. */
  remove(backendId: string): void {
    const slot = this.slots.get(backendId);
    if (!slot) return;
    this.slots.delete(backendId);
    this.dropPending(slot);
    slot.current?.auth.close();
    slot.current = undefined;
  }

  /** Closes every authenticator; later `update()` calls reject. */
  close(): void {
    for (const backendId of [...this.slots.keys()]) this.remove(backendId);
    this.closed = true;
  }

  private async warmInstalled(
    backendId: string,
    slot: Slot,
    auth: BackendAuth,
    outcome: "installed" | "rotated",
  ): Promise<RotationResult> {
    try {
      await auth.warm();
    } catch (error) {
      if (this.slots.get(backendId) !== slot || slot.current?.auth !== auth) {
        return { outcome: "superseded" };
      }
      const message = describeFailure(error);
      this.logger.warn("backend credentials installed but not warm", {
        backend: backendId,
        error: message,
      });
      return { outcome: "failed", error: message };
    }
    if (this.slots.get(backendId) !== slot || slot.current?.auth !== auth) {
      return { outcome: "superseded" };
    }
    this.logger.info(`backend credentials ${outcome}`, { backend: backendId });
    return { outcome };
  }

  private async warmThenSwap(
    backendId: string,
    slot: Slot,
    pending: Installed,
  ): Promise<RotationResult> {
    let failure: string | undefined;
    try {
      await pending.auth.warm();
    } catch (error) {
      failure = describeFailure(error);
    }
    // A later update() or remove() took over (and closed this authenticator).
    if (this.slots.get(backendId) !== slot || slot.pending?.auth !== pending.auth) {
      return { outcome: "superseded" };
    }
    slot.pending = undefined;
    const previous = slot.current;
    if (failure !== undefined && previous?.auth.ready()) {
      pending.auth.close();
      slot.rotationError = `new credentials not in service (previous ones kept): ${failure}`;
      this.logger.warn("backend credential rotation failed; previous credentials kept", {
        backend: backendId,
        error: failure,
      });
      return { outcome: "kept-previous", error: failure };
    }
    slot.current = { auth: pending.auth, digest: pending.digest };
    slot.rotationError = undefined;
    previous?.auth.close();
    if (failure !== undefined) {
      // The previous credential expired while the new one warmed: the new config is what is
      // wanted, and it keeps retrying.
      this.logger.warn("backend credentials rotated but not warm", {
        backend: backendId,
        error: failure,
      });
      return { outcome: "failed", error: failure };
    }
    this.logger.info("backend credentials rotated", { backend: backendId });
    return { outcome: "rotated" };
  }

  /** A config that cannot be built: keep what serves, and say why. */
  private rejectConfig(backendId: string, slot: Slot, error: unknown): RotationResult {
    const message = describeFailure(error);
    this.dropPending(slot);
    if (slot.current) {
      slot.rotationError = `new credentials not in service (previous ones kept): ${message}`;
    } else {
      slot.rotationError = message;
    }
    this.logger.warn("backend credentials rejected", { backend: backendId, error: message });
    return { outcome: slot.current ? "kept-previous" : "failed", error: message };
  }

  private dropPending(slot: Slot): void {
    slot.pending?.auth.close();
    slot.pending = undefined;
  }
}

/**
 * A digest of the parsed config (defaults applied, keys sorted), so that a config rewritten with
 * the same values is recognised as unchanged. Kept in memory only, never logged.
 */
function configDigest(config: BackendAuthConfig): string {
  return createHash("sha256").update(canonicalJSON(config)).digest("hex");
}

function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJSON(field)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
