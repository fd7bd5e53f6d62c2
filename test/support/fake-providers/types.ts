/**
 * The shapes shared by the fake providers: what a test configures, what a fake records, and the
 * contract each provider module fulfils for the shared server.
 */
import type { IncomingHttpHeaders } from "node:http";

/** The providers the gateway translates to, named as `AIServiceBackend` schemas are (lower case). */
export type FakeProviderKind =
  | "openai"
  | "azureopenai"
  | "awsbedrock"
  | "gcpvertexai"
  | "gcpanthropic"
  | "anthropic";

/** Static AWS credentials the Bedrock fake checks SigV4 signatures against. */
export interface FakeAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** When set, `x-amz-security-token` must carry it. */
  sessionToken?: string;
}

export interface FakeProviderOptions {
  /**
   * The key OpenAI (`authorization: Bearer`), Azure OpenAI (`api-key`) and Anthropic (`x-api-key`)
   * expect. Default `FAKE_API_KEY`.
   */
  apiKey?: string;
  /**
   * The bearer token Vertex AI (both publishers) expects, and Azure OpenAI for an Entra ID token.
   * Default `FAKE_BEARER_TOKEN`.
   */
  bearerToken?: string;
  /** The credentials Bedrock verifies SigV4 against. Default `FAKE_AWS_CREDENTIALS`. */
  aws?: FakeAwsCredentials;
  /** `false` accepts any credentials, or none. Default `true`. */
  checkAuth?: boolean;
  /** What OpenAI's and Anthropic's `GET …/models` list. Default none. */
  listedModels?: string[];
  /** The OpenAI path prefix (the backend's schema version). Default `/v1`. */
  openAIPrefix?: string;
  /** The pause between two writes of a stream, in ms. Default 2. */
  chunkDelayMs?: number;
  /**
   * Cuts a stream into writes of this many bytes, anywhere inside events, instead of one write per
   * event: for tests of readers that must reassemble split events.
   */
  chunkBytes?: number;
}

/** An error answer: the status, in the provider's own error shape unless `body` is given. */
export interface FakeErrorBehaviour {
  status: number;
  /** Sent as is instead of the native error body (objects as JSON, strings and Buffers raw). */
  body?: unknown;
  /**
   * The provider's name for the error, instead of the one the status implies: an OpenAI error type,
   * a Bedrock exception (`ModelNotReadyException`), an Anthropic error type (`overloaded_error`), a
   * Google RPC status (`RESOURCE_EXHAUSTED`).
   */
  errorType?: string;
  message?: string;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
}

/**
 * How the fake treats the next requests that reach a known path and pass the auth check:
 * - `normal`: answers as the provider would.
 * - an error: answers with that status in the provider's error shape.
 * - `hang`: reads the request and never answers (until `close()`).
 * - `drop`: reads the request, then destroys the socket without a response.
 * - `dropMidStream`: sends the head and about half of the body, then destroys the socket.
 * - `gzip`: the normal answer, gzip-encoded with `content-encoding: gzip` (streams flushed per write).
 * - `garbage`: a 200 with the normal content type and bytes that are not valid for it.
 */
export type FakeBehaviour =
  | "normal"
  | "hang"
  | "drop"
  | "dropMidStream"
  | "gzip"
  | "garbage"
  | FakeErrorBehaviour;

/** What the fake made of a request it routed. */
export interface ProviderCall {
  operation: "chat" | "completions" | "embeddings" | "models";
  /** The model (or Azure deployment), URL-decoded when it came in the path. */
  model: string;
  stream: boolean;
}

/** A request as the fake received it. */
export interface FakeProviderRequest {
  method: string;
  /** The raw request target: path and query exactly as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: unknown;
  rawBody: Buffer;
  /** Undefined when the path matched none of the provider's operations. */
  call?: ProviderCall;
}

export interface FakeProvider {
  kind: FakeProviderKind;
  /** `http://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  /** Every request received, in order, the rejected ones included. */
  requests: FakeProviderRequest[];
  /** Applies `behaviour` to the next `times` requests (default: until changed), then `normal`. */
  setBehaviour(behaviour: FakeBehaviour, options?: { times?: number }): void;
  /** Closes the server and every open connection, hung ones included. */
  close(): Promise<void>;
}

/** One answer: a status, headers and the body as the writes that carry it. */
export interface ProviderReply {
  status: number;
  headers: Record<string, string>;
  /** One piece for a plain body; one piece per event for a stream. */
  pieces: Buffer[];
  stream: boolean;
}

/** The options with their defaults filled in, as the provider modules read them. */
export type ResolvedOptions = Required<Omit<FakeProviderOptions, "chunkBytes">> &
  Pick<FakeProviderOptions, "chunkBytes">;

/** A routed request, ready to be answered. */
export interface RoutedRequest {
  call: ProviderCall;
  request: FakeProviderRequest;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** A per-fake counter, for ids that differ between requests yet repeat between runs. */
  sequence: number;
}

/** What each provider module tells the shared server. */
export interface ProviderModule {
  /**
   * The operation a path asks for; undefined for a path the provider does not serve. `stream` may
   * be settled later by `answer` (OpenAI and Anthropic read it from the body).
   */
  route(method: string, path: string, query: URLSearchParams): ProviderCall | undefined;
  /** An error reply when the credentials are wrong or missing; undefined when they are right. */
  authenticate(request: FakeProviderRequest, options: ResolvedOptions): ProviderReply | undefined;
  /** The provider's answer to a path it does not serve. */
  notFound(method: string, path: string): ProviderReply;
  /** The provider's native error reply for a status. */
  error(status: number, details?: { errorType?: string; message?: string }): ProviderReply;
  /** The answer to a routed request: the model's reply, or a native 400 for a malformed body. */
  answer(routed: RoutedRequest, options: ResolvedOptions): ProviderReply;
  /** Bytes that look like the reply's content type but do not parse as it. */
  garbage(reply: ProviderReply): Buffer;
}
