/**
 * A test-only HTTP/1.1 proxy that plays Envoy's part in front of the ext_proc server, configured as
 * the project configures Envoy: the generated HTTPRoute (a rule per backend matching
 * `x-ai-eg-backend`, the host rewritten to the backend's, a catch-all 404 direct response, a request
 * timeout per rule), the EnvoyExtensionPolicy (request body Buffered, response body Buffered with
 * mode override allowed, the `xds.route_name` attribute, a 10 s message timeout, no fail-open) and
 * the BackendTrafficPolicy (Envoy's buffer filter ahead of the ext_proc filter, with its limit).
 *
 * One `Process` stream per client request, the phases in Envoy's order, each answer applied as Envoy
 * applies it (OVERWRITE/append header actions, `:path` and `:status` settable, body replaced or
 * cleared, `clear_route_cache` re-matching the route on the mutated headers, `mode_override` honoured
 * on response headers only, immediate responses as local replies, dynamic metadata collected). Every
 * departure from the protocol the proxy notices is recorded in `problems`, so tests can assert none.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  credentials,
  makeClientConstructor,
  type ClientDuplexStream,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { Agent, request as undiciRequest } from "undici";
import { NOT_FOUND_MESSAGE } from "../../../builders/http-route";
import { SELECTED_BACKEND_HEADER } from "../../../contract/route-config";
import { DEFAULT_SETTINGS } from "../../../controller/settings";
import { HOP_BY_HOP_HEADERS } from "../../../lib/hop-headers";
import {
  EXTERNAL_PROCESSOR_PROTO,
  EXTERNAL_PROCESSOR_SERVICE,
  LOADER_OPTIONS,
  headerValue,
  type BodyMutation,
  type HeaderMutation,
  type ImmediateResponse,
  type ProcessingRequest,
  type ProcessingResponse,
  type Struct,
  type Value,
} from "../../../extproc/protocol";
import { bytesOfQuantity } from "../../support/quantity";

export interface EnvoyProxyOptions {
  /** The ext_proc server, `127.0.0.1:<port>`. */
  extProcAddress: string;
  /** The HTTPRoute's backend rules: backend id (the `x-ai-eg-backend` value) → base URL. */
  backends: Record<string, string>;
  /** The AIGatewayRoute, for the `xds.route_name` attribute. Default `default/route`. */
  route?: { namespace: string; name: string };
  /** The rules' request timeout (HTTPRoute `timeouts.request`). Default 60 s. */
  requestTimeoutMs?: number;
  /** The ext_proc filter's message timeout. Default 10 s. */
  messageTimeoutMs?: number;
  /**
   * The buffer filter's limit: the generated BackendTrafficPolicy's `requestBuffer.limit`. Default:
   * the controller's default.
   */
  requestBufferLimitBytes?: number;
  /**
   * `false` plays Envoy without the generated BackendTrafficPolicy: no buffer filter, so the
   * listener's `ENVOY_DEFAULT_BUFFER_LIMIT` applies while the ext_proc filter buffers the body,
   * after the request headers went to the server. Default `true`.
   */
  requestBufferFilter?: boolean;
  /**
   * The largest response body Envoy buffers for the ext_proc filter: the listener's limit, which
   * nothing generated raises. Default `ENVOY_DEFAULT_BUFFER_LIMIT`.
   */
  responseBufferLimitBytes?: number;
}

/** The listener's buffer limit Envoy Gateway sets when nothing raises it (32 KiB). */
export const ENVOY_DEFAULT_BUFFER_LIMIT = 32 * 1024;
/** Envoy's local reply to a request body over the buffer limit. */
export const PAYLOAD_TOO_LARGE_BODY = "Payload Too Large";
/** Envoy's local reply to a buffered response body over the buffer limit. */
export const RESPONSE_TOO_LARGE_BODY = "Internal Server Error";

/** Envoy's local reply texts and `%RESPONSE_CODE_DETAILS%`. */
export const UPSTREAM_TIMEOUT_BODY = "upstream request timeout";
export const UPSTREAM_RESET_BODY =
  "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

/** What one client request went through, for assertions. */
export interface ProxiedRequest {
  method: string;
  /** The client's path. */
  path: string;
  /** The backend id the route selected, if any. */
  backend?: string;
  /** The upstream URL the request was sent to. */
  upstreamURL?: string;
  /** The status the client got. */
  status?: number;
  /**
   * Who answered the client, when not the upstream: `ext_proc` (an immediate response), `reset`
   * (the response was cut), or the `%RESPONSE_CODE_DETAILS%` of Envoy's own local reply
   * (`ext_proc_error_gRPC_error_<code>`, `ext_proc_error_per-message_timeout_exceeded`…).
   */
  localReply?: string;
  /** The request body's size as the client sent it. */
  requestBytes?: number;
  /**
   * What Envoy answered in the upstream's place, before the response phases: `direct_response`
   * (the catch-all 404), `upstream_timeout` (504), `upstream_reset` (503).
   */
  envoyAnswer?: "direct_response" | "upstream_timeout" | "upstream_reset";
  /** The body mode the response went through. */
  responseBodyMode?: "BUFFERED" | "STREAMED" | "NONE";
  /** response_body messages sent (streamed mode: one per upstream chunk, plus the final one). */
  responseBodyMessages: number;
  /** Every answer's dynamic_metadata, in order. */
  dynamicMetadata: Struct[];
  /** The `io.envoy.ai_gateway` namespace of all of them merged, as plain values. */
  metadata: Record<string, unknown>;
  /** Protocol departures noticed (a wrong answer case, a content-length that does not match…). */
  problems: string[];
  /** Settles when the request is over (answered, reset or abandoned by the client). */
  done: Promise<void>;
}

type HeaderList = Array<[string, string]>;

const HOP_BY_HOP = new Set(HOP_BY_HOP_HEADERS);

/** Sets Envoy refuses from an ext_proc server (default mutation rules), and removals it refuses. */
const unsettable = (name: string) =>
  name.startsWith("x-envoy-") ||
  name === "host" ||
  name === ":method" ||
  name === ":authority" ||
  name === ":scheme";
const unremovable = (name: string) => name.startsWith(":") || name === "host";

/**
 * The service as Envoy's side sees it: the same .proto, enums decoded to numbers (Envoy reads
 * `HttpStatus.code` as the number; its enum names are reason phrases).
 */
const ExternalProcessorClient = makeClientConstructor(
  loadSync(EXTERNAL_PROCESSOR_PROTO, { ...LOADER_OPTIONS, enums: Number })[
    EXTERNAL_PROCESSOR_SERVICE
  ] as ServiceDefinition,
  "ExternalProcessor",
);

/** A header map with Envoy's semantics: lower-case names, repeated names as separate entries. */
class Headers {
  constructor(public list: HeaderList = []) {}

  get(name: string): string | undefined {
    return this.list.find(([key]) => key === name)?.[1];
  }

  set(name: string, value: string): void {
    this.remove(name);
    this.list.push([name, value]);
  }

  remove(name: string): void {
    this.list = this.list.filter(([key]) => key !== name);
  }

  toProto() {
    return {
      headers: this.list.map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
    };
  }

  /** Applies an ext_proc header mutation; what Envoy would refuse is left out and noted. */
  apply(mutation: HeaderMutation | undefined, problems: string[]): void {
    for (const option of mutation?.set_headers ?? []) {
      const name = (option.header?.key ?? "").toLowerCase();
      const value = option.header ? headerValue(option.header) : "";
      if (unsettable(name)) {
        problems.push(`refused a set of ${name}`);
        continue;
      }
      const action = option.append_action ?? "APPEND_IF_EXISTS_OR_ADD";
      const exists = this.get(name) !== undefined;
      switch (action) {
        case "APPEND_IF_EXISTS_OR_ADD":
        case 0:
          this.list.push([name, value]);
          break;
        case "ADD_IF_ABSENT":
        case 1:
          if (!exists) this.list.push([name, value]);
          break;
        case "OVERWRITE_IF_EXISTS_OR_ADD":
        case 2:
          this.set(name, value);
          break;
        case "OVERWRITE_IF_EXISTS":
        case 3:
          if (exists) this.set(name, value);
          break;
        default:
          problems.push(`unknown append_action ${String(action)}`);
      }
    }
    for (const raw of mutation?.remove_headers ?? []) {
      const name = raw.toLowerCase();
      if (unremovable(name)) {
        problems.push(`refused a removal of ${name}`);
        continue;
      }
      this.remove(name);
    }
  }

  /** The headers to write on the wire: no pseudo-headers, repeated names as arrays. */
  toNode(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [key, value] of this.list) {
      if (key.startsWith(":")) continue;
      const previous = out[key];
      out[key] = previous === undefined ? value : [...[previous].flat(), value];
    }
    return out;
  }
}

/** A Struct as plain values. */
export function plainOf(struct: Struct | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(struct?.fields ?? {}).map(([key, value]) => [key, plainValue(value)]),
  );
}

function plainValue(value: Value): unknown {
  if (value.structValue) return plainOf(value.structValue);
  if (value.listValue) return (value.listValue.values ?? []).map(plainValue);
  return value.numberValue ?? value.stringValue ?? value.boolValue ?? null;
}

/** Ended the exchange with the ext_proc server: a local reply is due (or was written). */
class Stop extends Error {
  constructor(
    readonly reply?: { status: number; body: Buffer; headers?: Headers; details: string },
  ) {
    super(reply?.details ?? "stopped");
  }
}

/** One Process stream: sends a message and waits for its answer, with Envoy's message timeout. */
class ProcessStream {
  private readonly waiting: Array<(answer: ProcessingResponse | Error | undefined) => void> = [];
  private over: Error | "closed" | undefined;

  constructor(
    private readonly call: ClientDuplexStream<ProcessingRequest, ProcessingResponse>,
    private readonly timeoutMs: number,
    private readonly problems: string[],
  ) {
    call.on("data", (answer: ProcessingResponse) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(answer);
      else problems.push(`an answer nobody asked for: ${answer.response ?? "none"}`);
    });
    call.on("error", (error: Error) => {
      this.over ??= error;
      for (const waiter of this.waiting.splice(0)) waiter(error);
    });
    call.on("end", () => {
      this.over ??= "closed";
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
    });
  }

  /**
   * The answer to `message`; undefined when the server closed the stream cleanly (Envoy then goes on
   * without it). A gRPC error or a timeout is thrown as a Stop with Envoy's local reply.
   */
  async send(message: ProcessingRequest): Promise<ProcessingResponse | undefined> {
    if (this.over === "closed") return undefined;
    if (this.over) throw grpcFailure(this.over);
    const answer = await new Promise<ProcessingResponse | Error | undefined>(resolve => {
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(settle);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(new Error("message timeout"));
      }, this.timeoutMs);
      const settle = (value: ProcessingResponse | Error | undefined) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.waiting.push(settle);
      this.call.write(message);
    });
    if (answer instanceof Error) {
      if (answer.message === "message timeout") {
        this.call.cancel();
        throw new Stop({
          status: 504,
          body: Buffer.alloc(0),
          details: "ext_proc_error_per-message_timeout_exceeded",
        });
      }
      throw grpcFailure(answer);
    }
    return answer;
  }

  /** Envoy half-closes the stream once it has nothing more to send. */
  end(): void {
    if (!this.over) this.call.end();
  }

  cancel(): void {
    this.over ??= "closed";
    this.call.cancel();
  }
}

/** A gRPC error with failOpen false: Envoy answers 500 with an empty body. */
function grpcFailure(error: Error): Stop {
  const code = (error as { code?: number }).code;
  return new Stop({
    status: 500,
    body: Buffer.alloc(0),
    details: `ext_proc_error_gRPC_error_${code ?? "unknown"}`,
  });
}

function applyBody(body: Buffer, mutation: BodyMutation | undefined): Buffer {
  if (!mutation) return body;
  if (mutation.body !== undefined) return Buffer.from(mutation.body);
  if (mutation.clear_body) return Buffer.alloc(0);
  return body;
}

const text = (value: string) => Buffer.from(value, "utf8");

export class EnvoyProxy {
  readonly requests: ProxiedRequest[] = [];
  /** The route's backend rules; tests may change them. */
  backends: Record<string, string>;
  requestTimeoutMs: number;
  private readonly server: Server;
  private readonly client: InstanceType<typeof ExternalProcessorClient>;
  private readonly agent = new Agent({
    keepAliveTimeout: 10_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 5_000 },
  });
  private readonly routeName: string;
  private readonly messageTimeoutMs: number;
  private readonly requestBufferFilter: boolean;
  /** The stream's buffer limit for the request: the buffer filter's, or the listener's. */
  private readonly requestBufferLimitBytes: number;
  private readonly responseBufferLimitBytes: number;
  url = "";

  private constructor(options: EnvoyProxyOptions) {
    this.backends = { ...options.backends };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.messageTimeoutMs = options.messageTimeoutMs ?? 10_000;
    this.requestBufferFilter = options.requestBufferFilter ?? true;
    this.requestBufferLimitBytes = this.requestBufferFilter
      ? (options.requestBufferLimitBytes ?? bytesOfQuantity(DEFAULT_SETTINGS.requestBufferLimit))
      : ENVOY_DEFAULT_BUFFER_LIMIT;
    this.responseBufferLimitBytes = options.responseBufferLimitBytes ?? ENVOY_DEFAULT_BUFFER_LIMIT;
    const route = options.route ?? { namespace: "default", name: "route" };
    this.routeName = `httproute/${route.namespace}/${route.name}/rule/0/match/0/*`;
    this.client = new ExternalProcessorClient(
      options.extProcAddress,
      credentials.createInsecure(),
      {
        "grpc.max_receive_message_length": 64 << 20,
        "grpc.max_send_message_length": 64 << 20,
      },
    );
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 10_000;
  }

  static async start(options: EnvoyProxyOptions): Promise<EnvoyProxy> {
    const proxy = new EnvoyProxy(options);
    await new Promise<void>(resolve => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The last request's record. */
  last(): ProxiedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error("no request went through the proxy");
    return last;
  }

  /** Waits until every request so far is over. */
  async settled(): Promise<void> {
    await Promise.all(this.requests.map(request => request.done));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
    this.client.close();
    await this.agent.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let finish: () => void = () => {};
    const record: ProxiedRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      responseBodyMessages: 0,
      dynamicMetadata: [],
      metadata: {},
      problems: [],
      done: new Promise<void>(resolve => (finish = resolve)),
    };
    this.requests.push(record);
    void this.serve(req, res, record).finally(finish);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, record: ProxiedRequest) {
    // The buffer filter runs ahead of the ext_proc filter: it holds the request until its body is
    // complete, and answers 413 itself to one over its limit, before the ext_proc server hears of it.
    const received = await readBody(req).catch(() => undefined);
    if (received === undefined) return; // the client went away while sending
    record.requestBytes = received.length;
    if (this.requestBufferFilter && received.length > this.requestBufferLimitBytes) {
      record.localReply = "request_payload_too_large";
      record.status = 413;
      res.writeHead(413, {
        "content-type": "text/plain",
        "content-length": String(PAYLOAD_TOO_LARGE_BODY.length),
      });
      res.end(PAYLOAD_TOO_LARGE_BODY);
      return;
    }
    const problems = record.problems;
    const aborted = new AbortController();
    const call = (
      this.client as unknown as {
        Process(): ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
      }
    ).Process();
    const stream = new ProcessStream(call, this.messageTimeoutMs, problems);
    // The client went away before its answer was complete: reset upstream and the ext_proc stream.
    res.on("close", () => {
      if (!res.writableFinished) {
        aborted.abort();
        stream.cancel();
      }
    });
    const collect = (answer: ProcessingResponse | undefined) => {
      if (answer?.dynamic_metadata) {
        record.dynamicMetadata.push(answer.dynamic_metadata);
        Object.assign(
          record.metadata,
          plainOf(answer.dynamic_metadata.fields?.["io.envoy.ai_gateway"]?.structValue),
        );
      }
      return answer;
    };
    /** The answer to one phase, checked to be of that phase (or an immediate response). */
    const exchange = async (message: ProcessingRequest, phase: keyof ProcessingResponse) => {
      const answer = collect(await stream.send(message));
      if (!answer) return undefined;
      if (answer.immediate_response) throw this.immediate(answer.immediate_response, record);
      if (!answer[phase]) {
        problems.push(`answered ${answer.response ?? "nothing"} to ${String(phase)}`);
        stream.cancel();
        throw new Stop({
          status: 500,
          body: Buffer.alloc(0),
          details: "ext_proc_error_spurious_message",
        });
      }
      return answer;
    };

    let responseStarted = false;
    let upstream: UpstreamAnswer | undefined;
    try {
      const headers = new Headers([
        [":method", record.method],
        [":path", record.path],
        [":authority", req.headers.host ?? ""],
        [":scheme", "http"],
      ]);
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i].toLowerCase();
        if (name === "host" || HOP_BY_HOP.has(name)) continue;
        headers.list.push([name, req.rawHeaders[i + 1]]);
      }
      headers.set("x-forwarded-proto", "http");
      if (!headers.get("x-request-id")) headers.set("x-request-id", randomUUID());
      const hasBody =
        req.headers["transfer-encoding"] !== undefined ||
        Number(req.headers["content-length"] ?? 0) > 0;

      // The route Envoy matched on arrival; re-matched when the server clears the route cache.
      let routeBackend = headers.get(SELECTED_BACKEND_HEADER);
      const onHeaders = await exchange(
        {
          request_headers: { headers: headers.toProto(), end_of_stream: !hasBody },
          attributes: {
            "envoy.filters.http.ext_proc": {
              fields: { "xds.route_name": { stringValue: this.routeName } },
            },
          },
        },
        "request_headers",
      );
      if (onHeaders?.mode_override) problems.push("mode_override on request headers is ignored");
      headers.apply(onHeaders?.request_headers?.response?.header_mutation, problems);
      if (onHeaders?.request_headers?.response?.body_mutation) {
        problems.push("a body mutation on request headers is ignored");
      }
      if (onHeaders?.request_headers?.response?.clear_route_cache) {
        routeBackend = headers.get(SELECTED_BACKEND_HEADER);
      }

      let body = received;
      // Without the buffer filter, the ext_proc filter meets the listener's limit as it buffers.
      if (body.length > this.requestBufferLimitBytes) {
        throw new Stop({
          status: 413,
          body: text(PAYLOAD_TOO_LARGE_BODY),
          details: "request_payload_too_large",
        });
      }
      if (hasBody) {
        const onBody = await exchange(
          { request_body: { body, end_of_stream: true } },
          "request_body",
        );
        const common = onBody?.request_body?.response;
        headers.apply(common?.header_mutation, problems);
        body = applyBody(body, common?.body_mutation);
        if (common?.clear_route_cache) routeBackend = headers.get(SELECTED_BACKEND_HEADER);
      }
      const declared = headers.get("content-length");
      if (declared !== undefined && Number(declared) !== body.length) {
        problems.push(`content-length ${declared} for a body of ${body.length} bytes`);
        throw new Stop({
          status: 500,
          body: Buffer.alloc(0),
          details: "ext_proc_error_content_length_mismatch",
        });
      }

      // The upstream answer, or Envoy's own (direct response, local replies).
      upstream = await this.sendUpstream(headers, body, routeBackend, record, aborted.signal);

      const responseHeaders = new Headers([
        [":status", String(upstream.status)],
        ...upstream.headers,
      ]);
      const noBody =
        upstream.status === 204 ||
        upstream.status === 304 ||
        responseHeaders.get("content-length") === "0";
      const onResponseHeaders = await exchange(
        { response_headers: { headers: responseHeaders.toProto(), end_of_stream: noBody } },
        "response_headers",
      );
      responseHeaders.apply(
        onResponseHeaders?.response_headers?.response?.header_mutation,
        problems,
      );
      const override = onResponseHeaders?.mode_override?.response_body_mode;
      const mode =
        override === "STREAMED" || override === 1
          ? "STREAMED"
          : override === "NONE" || override === 0
            ? "NONE"
            : "BUFFERED";
      record.responseBodyMode = mode;
      const status = () => Number(responseHeaders.get(":status"));

      if (noBody) {
        upstream.cancel();
        stream.end();
        record.status = status();
        res.writeHead(status(), responseHeaders.toNode());
        res.end();
        return;
      }

      if (mode === "BUFFERED") {
        const whole = await upstream.readAll();
        if (whole.length > this.responseBufferLimitBytes) {
          throw new Stop({
            status: 500,
            body: text(RESPONSE_TOO_LARGE_BODY),
            details: "response_payload_too_large",
          });
        }
        record.responseBodyMessages++;
        const onBody = await exchange(
          { response_body: { body: whole, end_of_stream: true } },
          "response_body",
        );
        const common = onBody?.response_body?.response;
        responseHeaders.apply(common?.header_mutation, problems);
        const out = applyBody(whole, common?.body_mutation);
        // As on the request side: a content-length that does not match the body it now heads
        // fails the request, as Envoy fails it.
        const declaredLength = responseHeaders.get("content-length");
        if (declaredLength !== undefined && Number(declaredLength) !== out.length) {
          problems.push(
            `response content-length ${declaredLength} for a body of ${out.length} bytes`,
          );
          throw new Stop({
            status: 500,
            body: Buffer.alloc(0),
            details: "ext_proc_error_content_length_mismatch",
          });
        }
        responseHeaders.set("content-length", String(out.length));
        stream.end();
        record.status = status();
        res.writeHead(status(), responseHeaders.toNode());
        res.end(out);
        return;
      }

      // STREAMED (or NONE): the headers go now, chunked; each chunk as soon as it is processed.
      responseHeaders.remove("content-length");
      record.status = status();
      res.writeHead(status(), responseHeaders.toNode());
      res.flushHeaders();
      responseStarted = true;
      if (mode === "NONE") stream.end();
      for await (const chunk of upstream.chunks()) {
        if (mode === "NONE") {
          res.write(chunk);
          continue;
        }
        record.responseBodyMessages++;
        const answer = await exchange(
          { response_body: { body: chunk, end_of_stream: false } },
          "response_body",
        );
        if (answer?.response_body?.response?.header_mutation?.set_headers?.length) {
          problems.push("a header mutation on a streamed body is ignored");
        }
        const out = applyBody(chunk, answer?.response_body?.response?.body_mutation);
        if (out.length > 0) res.write(out);
      }
      if (mode === "STREAMED") {
        record.responseBodyMessages++;
        const last = await exchange(
          { response_body: { body: Buffer.alloc(0), end_of_stream: true } },
          "response_body",
        );
        const out = applyBody(Buffer.alloc(0), last?.response_body?.response?.body_mutation);
        if (out.length > 0) res.write(out);
        stream.end();
      }
      res.end();
    } catch (error) {
      upstream?.cancel();
      if (aborted.signal.aborted) return; // the client left; nothing to answer
      const reply = error instanceof Stop ? error.reply : undefined;
      // After an immediate response Envoy closes the stream; after a failure it resets it.
      if (record.localReply === "ext_proc") stream.end();
      else stream.cancel();
      if (!(error instanceof Stop)) {
        problems.push(`proxy failure: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (responseStarted || !reply) {
        // Envoy resets a response it has started and cannot finish.
        record.localReply ??= "reset";
        res.destroy();
        return;
      }
      record.localReply ??= reply.details;
      record.status = reply.status;
      const headers = reply.headers ?? new Headers();
      if (reply.body.length > 0 && !headers.get("content-type")) {
        headers.set("content-type", "text/plain");
      }
      headers.set("content-length", String(reply.body.length));
      res.writeHead(reply.status, headers.toNode());
      res.end(reply.body);
    }
  }

  /** An ext_proc immediate response as Envoy's local reply: it does not go through ext_proc again. */
  private immediate(response: ImmediateResponse, record: ProxiedRequest): Stop {
    record.localReply = "ext_proc";
    const headers = new Headers();
    headers.apply(response.headers, record.problems);
    const code = Number(response.status?.code ?? 0);
    // HttpStatus is required; Envoy refuses a code outside 200–599 as invalid.
    if (!(code >= 200 && code <= 599)) record.problems.push(`immediate status ${code}`);
    return new Stop({
      status: code >= 200 && code <= 599 ? code : 500,
      body: response.body ? Buffer.from(response.body) : Buffer.alloc(0),
      headers,
      details: response.details ?? "ext_proc",
    });
  }

  /**
   * Sends the request where the route sends it. Envoy's own answers (the catch-all 404, an upstream
   * timeout or reset before the headers) come back as responses too: they go through the filter's
   * response phases like any other.
   */
  private async sendUpstream(
    headers: Headers,
    body: Buffer,
    backendId: string | undefined,
    record: ProxiedRequest,
    signal: AbortSignal,
  ): Promise<UpstreamAnswer> {
    const base = backendId !== undefined ? this.backends[backendId] : undefined;
    if (base === undefined) {
      record.envoyAnswer = "direct_response";
      return localAnswer(404, NOT_FOUND_MESSAGE);
    }
    record.backend = backendId;
    const target = new URL(headers.get(":path") ?? "/", base);
    record.upstreamURL = target.toString();
    // The HTTPRoute's host rewrite: the backend's hostname (no port), as Envoy's auto host rewrite.
    const outgoing = new Headers(headers.list.filter(([name]) => !name.startsWith(":")));
    outgoing.set("host", target.hostname);
    if (body.length > 0 && outgoing.get("content-length") === undefined) {
      outgoing.set("content-length", String(body.length));
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.requestTimeoutMs);
    const both = AbortSignal.any([signal, timeout.signal]);
    let response: Awaited<ReturnType<typeof undiciRequest>>;
    try {
      response = await undiciRequest(target, {
        method: (headers.get(":method") ?? "GET") as "POST",
        headers: outgoing.toNode(),
        body: body.length > 0 ? body : null,
        dispatcher: this.agent,
        signal: both,
      });
    } catch (error) {
      clearTimeout(timer);
      if (signal.aborted) throw error;
      if (timeout.signal.aborted) {
        record.envoyAnswer = "upstream_timeout";
        return localAnswer(504, UPSTREAM_TIMEOUT_BODY);
      }
      record.envoyAnswer = "upstream_reset";
      return localAnswer(503, UPSTREAM_RESET_BODY);
    }
    const list: HeaderList = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      for (const one of [value].flat()) list.push([name, one]);
    }
    const upstreamBody = response.body;
    // Read errors surface through the iteration; a body given up on must not throw elsewhere.
    upstreamBody.on("error", () => {});
    // The route timeout covers the whole response; past the headers Envoy can only reset.
    const chunks = async function* (): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of upstreamBody) yield Buffer.from(chunk as Uint8Array);
      } catch {
        throw new Stop(undefined);
      } finally {
        clearTimeout(timer);
      }
    };
    return {
      status: response.statusCode,
      headers: list,
      chunks,
      async readAll() {
        const parts: Buffer[] = [];
        for await (const chunk of chunks()) parts.push(chunk);
        return Buffer.concat(parts);
      },
      cancel() {
        clearTimeout(timer);
        upstreamBody.destroy();
      },
    };
  }
}

interface UpstreamAnswer {
  status: number;
  headers: HeaderList;
  chunks(): AsyncGenerator<Buffer>;
  readAll(): Promise<Buffer>;
  cancel(): void;
}

/** A response Envoy makes itself, text/plain. */
function localAnswer(status: number, message: string): UpstreamAnswer {
  const body = text(message);
  return {
    status,
    headers: [
      ["content-type", "text/plain"],
      ["content-length", String(body.length)],
    ],
    chunks: async function* () {
      yield body;
    },
    readAll: () => Promise.resolve(body),
    cancel() {},
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}
