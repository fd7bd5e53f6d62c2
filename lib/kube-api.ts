/**
 * A small Kubernetes REST client over one pool of keep-alive connections, for the module's
 * request/response calls (admission lookups, applies, status writes).
 *
 * Why not kubernetes-fluent-client for these: it re-reads the kubeconfig and opens a new TLS
 * connection (an undici Agent kept alive for ten minutes) on every call. Under load that is a TLS
 * handshake per call on both ends and thousands of idle sockets held by the module. The watches of
 * the module's own kinds stay with Pepr and kfc; `ListWatch` (list-watch.ts) watches over this
 * client where a process should not load kfc (the ext_proc server) or hold whole objects.
 *
 * Where the API server is and the credentials come from cluster-access.ts (the pod's service
 * account, or a kubeconfig); the credentials are re-read every `AUTH_REFRESH_MS`, so rotated
 * service-account tokens are picked up as client-go does.
 */
import { Agent, request } from "undici";
import { defaultClusterAccess, type ClusterAccess } from "./cluster-access";

/** A resource type as its REST path names it. */
export interface ResourceType {
  /** "" for the core API group. */
  group: string;
  version: string;
  plural: string;
}

/** Where one call goes: a resource type, optionally a namespace, a name and a subresource. */
export interface ResourcePath extends ResourceType {
  namespace?: string;
  name?: string;
  subresource?: "status";
}

/** The content types of the PATCH flavours the module uses. */
export const PATCH = {
  apply: "application/apply-patch+yaml",
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
} as const;

/** An answer of the API server other than 2xx, with its status and the server's message. */
export class KubeApiError extends Error {
  readonly code = "KubeApiError";

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** `details.causes[].type` of the API server's Status, e.g. `NamespaceTerminating`. */
    readonly causes: string[] = [],
  ) {
    super(message);
    this.name = "KubeApiError";
  }

  /** The same failure, its message prefixed with what was being done. */
  during(what: string): KubeApiError {
    return new KubeApiError(
      this.status,
      this.reason,
      `${what}: ${this.status} ${this.message}`,
      this.causes,
    );
  }
}

/** The API server's Status object, as far as its errors are read. */
export interface KubeStatus {
  code?: number;
  message?: string;
  reason?: string;
  details?: { causes?: { type?: string }[] };
}

/** The error a Status tells: an answer's, or a watch's ERROR event's. */
export function statusError(
  statusCode: number,
  status: KubeStatus,
  otherwise: string,
): KubeApiError {
  return new KubeApiError(
    statusCode,
    status.reason ?? "",
    status.message ?? otherwise,
    (status.details?.causes ?? []).flatMap(cause => (cause.type ? [cause.type] : [])),
  );
}

/** A failed request as the API server tells it: its Status object's message, else its text. */
function failureOf(statusCode: number, text: string): KubeApiError {
  let status: KubeStatus = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) status = parsed;
  } catch {
    // not a Status object: the raw text says what happened
  }
  return statusError(statusCode, status, text.slice(0, 200) || `HTTP ${statusCode}`);
}

/** The write failed because its namespace is being deleted: retrying cannot help. */
export const isNamespaceTerminating = (error: unknown) =>
  error instanceof KubeApiError && error.causes.includes("NamespaceTerminating");

/**
 * The API server's watch cache has not reached the resourceVersion asked for yet (a replica
 * behind the others): a Status (code 504) whose cause says so, in a watch's ERROR event or as the
 * answer. It catches up within moments.
 */
export const isResourceVersionTooLarge = (error: unknown) =>
  error instanceof KubeApiError && error.causes.includes("ResourceVersionTooLarge");

const AUTH_REFRESH_MS = 30_000;

export function resourceUrlPath(path: ResourcePath): string {
  const root = path.group === "" ? `/api/${path.version}` : `/apis/${path.group}/${path.version}`;
  const namespace = path.namespace ? `/namespaces/${encodeURIComponent(path.namespace)}` : "";
  const name = path.name ? `/${encodeURIComponent(path.name)}` : "";
  const subresource = path.subresource ? `/${path.subresource}` : "";
  return `${root}${namespace}/${path.plural}${name}${subresource}`;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string>;
  /** The `accept` header; default `application/json`. */
  accept?: string;
  /** Gives the request up (a watch stopped while its list is still on the way). */
  signal?: AbortSignal;
}

export interface ListOptions {
  labelSelector?: string;
  resourceVersion?: string;
  metadataOnly?: boolean;
}

const METADATA_ONLY =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const METADATA_ONLY_WATCH =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** One event of a watch, as the API server streams it. */
export interface WatchEventLine<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export class KubeApi {
  private headers: Record<string, string> = {};
  private headersAt = 0;
  private reading?: Promise<Record<string, string>>;

  private constructor(
    private readonly access: ClusterAccess,
    private readonly agent: Agent,
  ) {
    if (access.initialHeaders) {
      this.headers = access.initialHeaders;
      this.headersAt = Date.now();
    }
  }

  /** The default cluster: KUBECONFIG, or ~/.kube/config, or the pod's service account. */
  static async fromDefaultConfig(maxConnections = 16): Promise<KubeApi> {
    const access = await defaultClusterAccess();
    const agent = new Agent({
      connections: maxConnections,
      keepAliveTimeout: 30_000,
      connect: access.tls,
    });
    return new KubeApi(access, agent);
  }

  /** GET one object; `undefined` when it does not exist. */
  async get<T>(path: ResourcePath, query?: Record<string, string>): Promise<T | undefined> {
    try {
      return await this.call<T>("GET", path, { query });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * LIST the objects of a type in a namespace (or cluster-wide). `metadataOnly` asks for
   * PartialObjectMetadata (names, labels, … without spec or status); `resourceVersion: "0"` lets the
   * API server answer from its watch cache.
   */
  async list<T>(path: ResourcePath, options: ListOptions = {}): Promise<T[]> {
    const { metadataOnly, ...query } = options;
    const list = await this.call<{ items?: T[] }>("GET", path, {
      query,
      ...(metadataOnly && { accept: METADATA_ONLY }),
    });
    return list.items ?? [];
  }

  /**
   * One LIST (of full objects, or of metadata only), with the resourceVersion a watch continues
   * from.
   */
  async listVersioned<T>(
    path: ResourcePath,
    options: Omit<ListOptions, "resourceVersion"> & { signal?: AbortSignal } = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const { metadataOnly, signal, ...query } = options;
    const list = await this.call<{ items?: T[]; metadata?: { resourceVersion?: string } }>(
      "GET",
      path,
      { query, signal, ...(metadataOnly && { accept: METADATA_ONLY }) },
    );
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "" };
  }

  /**
   * Watches from `resourceVersion` (full objects, or metadata only: then no data, spec or status
   * reaches this process), calling `onEvent` per event until the API server ends the stream (after
   * `timeoutSeconds`), `signal` aborts or `onEvent` throws. Rejects with a `KubeApiError` when the
   * watch cannot start.
   */
  async watch<T>(
    path: ResourcePath,
    options: {
      resourceVersion: string;
      labelSelector?: string;
      timeoutSeconds: number;
      metadataOnly?: boolean;
      /** Called once the API server has accepted the watch, before any event. */
      onOpen?: () => void;
    },
    onEvent: (event: WatchEventLine<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const query = new URLSearchParams({
      watch: "1",
      allowWatchBookmarks: "true",
      resourceVersion: options.resourceVersion,
      timeoutSeconds: String(options.timeoutSeconds),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    });
    const response = await request(`${this.access.server}${resourceUrlPath(path)}?${query}`, {
      method: "GET",
      dispatcher: this.agent,
      headers: {
        accept: options.metadataOnly ? METADATA_ONLY_WATCH : "application/json",
        ...(await this.authHeaders()),
      },
      signal,
    });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw failureOf(response.statusCode, await response.body.text());
    }
    options.onOpen?.();
    // Events are newline-delimited JSON; a network chunk may end inside a line, or inside a
    // multi-byte character, which the decoder keeps for the next chunk.
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onEvent(parseEvent<T>(line));
        }
      }
    } finally {
      // An event handler that throws (a 410) ends the watch: the connection is not reused.
      response.body.destroy();
    }
  }

  async call<T>(method: string, path: ResourcePath, options: CallOptions = {}): Promise<T> {
    const query =
      options.query && Object.keys(options.query).length > 0
        ? `?${new URLSearchParams(options.query)}`
        : "";
    const response = await request(`${this.access.server}${resourceUrlPath(path)}${query}`, {
      method: method as "GET",
      dispatcher: this.agent,
      headers: {
        accept: options.accept ?? "application/json",
        ...(await this.authHeaders()),
        ...(options.body !== undefined && {
          "content-type": options.contentType ?? "application/json",
        }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return (text ? JSON.parse(text) : undefined) as T;
    }
    throw failureOf(response.statusCode, text);
  }

  /** Closes the pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private authHeaders(): Promise<Record<string, string>> {
    if (Date.now() - this.headersAt < AUTH_REFRESH_MS) return Promise.resolve(this.headers);
    // Requests that start together (the watches, at start) share one read: a credential plugin
    // runs once for them, not once each.
    this.reading ??= this.access
      .authHeaders()
      .then(headers => {
        this.headers = headers;
        this.headersAt = Date.now();
        return headers;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}

/**
 * One watch event. V8's parse error quotes the text, which may hold a Secret's data: never let it
 * reach a log.
 */
function parseEvent<T>(line: string): WatchEventLine<T> {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`a watch event of ${line.length} characters is not valid JSON`);
  }
}

/**
 * One client for the whole process, connected on first use (the module loads before it may read
 * its kubeconfig); a failed connection attempt is retried by the next call.
 */
export function connectOnFirstUse(
  connect: () => Promise<KubeApi> = () => KubeApi.fromDefaultConfig(),
): () => Promise<KubeApi> {
  let connecting: Promise<KubeApi> | undefined;
  return () => {
    connecting ??= connect().catch(error => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
}
