/**
 * One ext_proc stream, that is one HTTP request through Envoy: each ProcessingRequest is answered
 * with exactly one ProcessingResponse of the same phase (or an immediate response), by driving the
 * request pipeline. Envoy sends the phases in order and waits for each answer, so the state here is
 * a simple sequence; a message out of sequence is a protocol error, answered with a gRPC error.
 */
import { routeKeyOfXdsRouteName } from "../contract/route-config";
import type { HeaderMutation } from "../lib/header-mutation";
import type { GatewayAnswer } from "../pipeline/answer";
import { CANCELLED, GatewayError, unansweredStatus } from "../pipeline/answer";
import type { Exchange, RequestSummary, ResponsePlan } from "../pipeline/exchange";
import type { Gateway } from "../pipeline/gateway";
import { Cancellation } from "../pipeline/cancellation";
import { composeHeaderMutations } from "../pipeline/header-mutation";
import { answeredSummary, SERVED_BY_HEADER, type AnsweredSummary } from "../pipeline/observer";
import type { UpstreamClient } from "../pipeline/upstream-client";
import {
  asBuffer,
  dynamicMetadata,
  headersOf,
  immediateResponse,
  protoHeaderMutation,
} from "./messages";
import type { ProcessingRequest, ProcessingResponse } from "./protocol";

/** The filter name Envoy keys request attributes by. */
const EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
const ROUTE_NAME_ATTRIBUTE = "xds.route_name";

/** A message that breaks the protocol: answered with a gRPC error, never a crash. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

type Stage = "request_headers" | "request_body" | "response_headers" | "response_body" | "done";

export interface ProcessorDeps {
  gateway: Gateway;
  upstream: UpstreamClient;
  now: () => number;
  /** Called once, when the request's answer is complete. */
  finished: (summary: RequestSummary | AnsweredSummary) => void;
}

export class StreamProcessor {
  private stage: Stage = "request_headers";
  private routeKey = "";
  private method = "";
  private path = "";
  private requestHeaders: Record<string, string> = {};
  private exchange?: Exchange;
  private plan?: ResponsePlan;
  private responseStatus = 0;
  private responseHeaders: Record<string, string> = {};
  private readonly startedAt: number;
  private readonly cancelled = new Cancellation();
  /** Reported before its end: Envoy's own answer, passed on. */
  private reported = false;

  constructor(private readonly deps: ProcessorDeps) {
    this.startedAt = deps.now();
  }

  /**
   * The stream ended or was cancelled: Envoy (or the client) went away. Stops any fallback still
   * under way, and reports a request that did not get to its end, so every request has its log
   * line and metrics.
   */
  close(errorType: string = CANCELLED): void {
    // grpc-js reports every stream as cancelled once it has closed, finished ones included: a
    // finished request has nothing to stop, and a cancel costs an Error with its stack.
    if (this.stage === "done") return;
    this.cancelled.cancel(new Error("the request was cancelled"));
    this.stage = "done";
    if (this.reported) return;
    // The gateway's view, as `ai-gateway run` reports it (Envoy's access log has the status the
    // client saw).
    if (this.exchange) {
      this.deps.finished(this.exchange.finishUnanswered(errorType));
      return;
    }
    this.deps.finished(this.ownSummary(unansweredStatus(errorType), errorType));
  }

  /** The summary of a request no backend was tried for. */
  private ownSummary(status: number, errorType?: string): AnsweredSummary {
    return {
      route: this.routeKey,
      endpoint: this.endpoint,
      status,
      durationMs: this.deps.now() - this.startedAt,
      ...(errorType ? { errorType } : {}),
    };
  }

  private get endpoint(): string {
    return this.path.split("?")[0];
  }

  /** The answer to one message; undefined in observability mode, where none may be sent. */
  async handle(message: ProcessingRequest): Promise<ProcessingResponse | undefined> {
    const response = await this.answer(message);
    return message.observability_mode ? undefined : response;
  }

  private async answer(message: ProcessingRequest): Promise<ProcessingResponse> {
    if (message.request_headers) {
      this.expect("request_headers", "request_headers");
      return this.onRequestHeaders(message);
    }
    if (message.request_body) {
      this.expect("request_body", "request_body");
      return this.onRequestBody(message.request_body.body, message.request_body.end_of_stream);
    }
    if (message.response_headers) {
      // A request answered by Envoy itself (a 404 of the catch-all rule) has no exchange.
      if (this.stage === "request_body" && !this.exchange) this.stage = "response_headers";
      this.expect("response_headers", "response_headers");
      return this.onResponseHeaders(message);
    }
    if (message.response_body) {
      this.expect("response_body", "response_body");
      return this.onResponseBody(message.response_body.body, message.response_body.end_of_stream);
    }
    if (message.request_trailers) return { request_trailers: {} };
    if (message.response_trailers) return { response_trailers: {} };
    throw new ProtocolError("a ProcessingRequest without a phase this server knows");
  }

  private expect(stage: Stage, got: string): void {
    if (this.stage !== stage) {
      throw new ProtocolError(
        `got ${got} while expecting ${this.stage.replace("done", "nothing more")}`,
      );
    }
  }

  private async onRequestHeaders(message: ProcessingRequest): Promise<ProcessingResponse> {
    this.requestHeaders = headersOf(message.request_headers?.headers);
    this.method = this.requestHeaders[":method"] ?? "";
    this.path = this.requestHeaders[":path"] ?? "";
    const routeName =
      message.attributes?.[EXT_PROC_FILTER]?.fields?.[ROUTE_NAME_ATTRIBUTE]?.stringValue ?? "";
    const route = routeKeyOfXdsRouteName(routeName);
    if (!route) {
      return this.answerWith(
        new GatewayError(
          503,
          `the gateway cannot tell the route of this request (Envoy route name "${routeName}"): the EnvoyExtensionPolicy must send the xds.route_name attribute`,
          "route_unknown",
        ).toAnswer(),
      );
    }
    this.routeKey = `${route.namespace}/${route.name}`;
    const early = this.deps.gateway.answerHeaders(this.routeKey, this.method, this.path);
    if (early) return this.answerWith(early);
    if (message.request_headers?.end_of_stream) return this.begin(EMPTY_BODY);
    this.stage = "request_body";
    return { request_headers: {} };
  }

  private async onRequestBody(
    chunk: Buffer | undefined,
    end: boolean | undefined,
  ): Promise<ProcessingResponse> {
    if (!end) {
      return this.answerWith(
        new GatewayError(
          500,
          "the ext_proc filter sent the request body in parts: its processingMode.request.body must be Buffered",
          "ext_proc_misconfigured",
        ).toAnswer(),
      );
    }
    // Buffered: the whole body in this one message (a body in parts was refused above).
    return this.begin(chunk ?? EMPTY_BODY);
  }

  private async begin(body: Buffer): Promise<ProcessingResponse> {
    const result = await this.deps.gateway.begin(this.routeKey, {
      method: this.method,
      path: this.path,
      headers: this.requestHeaders,
      body,
    });
    if (!("attempt" in result)) return this.answerWith(result);
    this.exchange = result;
    this.stage = "response_headers";
    const { attempt } = result;
    return {
      request_body: {
        response: {
          header_mutation: protoHeaderMutation(attempt.headers),
          body_mutation: { body: asBuffer(attempt.body) },
          // The generated HTTPRoute sends to the selected backend by a header set here.
          clear_route_cache: true,
        },
      },
    };
  }

  private async onResponseHeaders(message: ProcessingRequest): Promise<ProcessingResponse> {
    const exchange = this.exchange;
    if (!exchange) {
      // Envoy's own answer (a 404 of the catch-all rule, a 413): passed on as it is, body too,
      // and reported now, with its status, as every request is.
      const status = Number(headersOf(message.response_headers?.headers)[":status"] ?? 0);
      this.stage = message.response_headers?.end_of_stream ? "done" : "response_body";
      this.reported = true;
      this.deps.finished(this.ownSummary(status, status >= 400 ? ENVOY_ANSWER : undefined));
      return { response_headers: {} };
    }
    this.responseHeaders = headersOf(message.response_headers?.headers);
    this.responseStatus = Number(this.responseHeaders[":status"] ?? 0);
    this.plan = exchange.planResponse(this.responseStatus, this.responseHeaders);
    const servedBy = () => ({
      set: { [SERVED_BY_HEADER]: exchange.attempt.backend.id },
      remove: [],
    });
    if (this.plan.kind === "fallback") {
      const answer = await exchange.fallBack(this.deps.upstream, this.cancelled);
      // Cancelled meanwhile: close() has reported the request, and no one reads this answer.
      if (this.cancelled.cancelled) return { response_headers: {} };
      if (answer) {
        return this.answerWith(
          { ...answer, headers: { ...answer.headers, ...servedBy().set } },
          exchange.finish(),
        );
      }
      // No other backend could take the request: this answer, read whole, is the client's.
      this.plan = { kind: "buffer" };
    }
    switch (this.plan.kind) {
      case "stream":
        this.stage = "response_body";
        if (message.response_headers?.end_of_stream) return this.finishStreamWithoutBody();
        return {
          response_headers: {
            response: {
              header_mutation: protoHeaderMutation(
                composeHeaderMutations(this.plan.headers, servedBy()),
              ),
            },
          },
          mode_override: { response_body_mode: "STREAMED" },
        };
      case "buffer": {
        if (message.response_headers?.end_of_stream) {
          const translated = exchange.translateBody(
            this.responseStatus,
            this.responseHeaders,
            EMPTY_BODY,
          );
          return this.answerWith(
            {
              status: translated.status,
              headers: { ...translated.headers.set, ...servedBy().set },
              body: translated.body,
            },
            exchange.finish(),
          );
        }
        this.stage = "response_body";
        return {
          response_headers: { response: { header_mutation: protoHeaderMutation(servedBy()) } },
        };
      }
    }
  }

  private finishStreamWithoutBody(): ProcessingResponse {
    this.exchange!.endStream();
    this.stage = "done";
    const summary = this.exchange!.finish();
    this.deps.finished(summary);
    return { response_headers: {}, dynamic_metadata: metadataOf(summary) };
  }

  private async onResponseBody(
    chunk: Buffer | undefined,
    end: boolean | undefined,
  ): Promise<ProcessingResponse> {
    const exchange = this.exchange;
    if (!exchange) {
      if (end) this.stage = "done";
      return { response_body: {} };
    }
    if (this.plan?.kind === "stream") {
      let out = exchange.pushChunk(chunk ?? EMPTY_BODY);
      if (!end) return { response_body: { response: { body_mutation: bodyMutation(out) } } };
      out = Buffer.concat([out, exchange.endStream()]);
      return this.finishWith({ response_body: { response: { body_mutation: bodyMutation(out) } } });
    }
    if (!end) {
      throw new ProtocolError(
        "the response body came in parts while buffered: the ext_proc filter's processingMode.response.body must be Buffered",
      );
    }
    const translated = exchange.translateBody(
      this.responseStatus,
      this.responseHeaders,
      chunk ?? EMPTY_BODY,
    );
    const statusChange: HeaderMutation =
      translated.status !== this.responseStatus
        ? { set: { ":status": String(translated.status) }, remove: [] }
        : { set: {}, remove: [] };
    return this.finishWith({
      response_body: {
        response: {
          header_mutation: protoHeaderMutation(
            composeHeaderMutations(translated.headers, statusChange),
          ),
          body_mutation: { body: asBuffer(translated.body) },
        },
      },
    });
  }

  private finishWith(response: ProcessingResponse): ProcessingResponse {
    this.stage = "done";
    const summary = this.exchange!.finish();
    this.deps.finished(summary);
    return { ...response, dynamic_metadata: metadataOf(summary) };
  }

  /** Ends the request with the gateway's own answer. */
  private answerWith(answer: GatewayAnswer, summary?: RequestSummary): ProcessingResponse {
    this.stage = "done";
    this.deps.finished(
      summary ??
        answeredSummary(this.routeKey, this.endpoint, answer, this.deps.now() - this.startedAt),
    );
    return {
      immediate_response: immediateResponse(answer, summary ? "ai_gateway_fallback" : "ai_gateway"),
      ...(summary ? { dynamic_metadata: metadataOf(summary) } : {}),
    };
  }
}

/** The error type of an error Envoy answered itself (a local reply), which the server passed on. */
const ENVOY_ANSWER = "envoy_local_reply";

/** Buffered bodies come whole, in one message; Envoy leaves `body` out when it is empty. */
const EMPTY_BODY = Buffer.alloc(0);

/** A streamed chunk's replacement: Envoy needs `clear_body` to send nothing for it. */
const bodyMutation = (bytes: Uint8Array) =>
  bytes.length > 0 ? { body: asBuffer(bytes) } : { clear_body: true };

/** What Envoy Gateway's rate limits and access logs read: the costs, and who served. */
const metadataOf = (summary: RequestSummary) =>
  dynamicMetadata({
    ...summary.costs,
    ai_service_backend_name: summary.backend,
    model_name: summary.model,
    route_name: summary.route,
  });
