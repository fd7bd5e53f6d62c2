/**
 * The gateway as an OpenAI-compatible HTTP server: the front door of `ai-gateway run`. It drives the
 * same request pipeline as the ext_proc server, but is the proxy itself: it sends each attempt with
 * the pooled `UpstreamClient`, passes a stream on as its bytes arrive, cancels the upstream request
 * when the client goes away, and falls back to the next backend while the client has nothing yet.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "winston";
import { errorMessage } from "../lib/error-message";
import { flatHeaders } from "../lib/flat-headers";
import { HOP_BY_HOP_HEADERS } from "../lib/hop-headers";
import type { HeaderMutation } from "../lib/header-mutation";
import { GatewayError, type GatewayAnswer } from "../pipeline/answer";
import { Cancellation } from "../pipeline/cancellation";
import { Exchange, type RequestSummary } from "../pipeline/exchange";
import type { Gateway } from "../pipeline/gateway";
import { applyHeaderMutation } from "../pipeline/header-mutation";
import type { GatewayMetrics } from "../pipeline/metrics";
import { isModelsRequest } from "../pipeline/models";
import { answeredSummary, SERVED_BY_HEADER, type RequestObserver } from "../pipeline/observer";
import type { RouteStore } from "../pipeline/route-store";
import type { UpstreamResponse } from "../pipeline/upstream-answer";
import type { UpstreamClient } from "../pipeline/upstream-client";
import type { ModelDiscovery } from "./model-discovery";
import { modelsOfRoutes, noRouteForHost, routeForModel, routesForHost } from "./route-choice";

/** The response header with the time the gateway itself spent before the answer's headers (ms). */
export const OVERHEAD_HEADER = "x-ai-eg-overhead-ms";

/** Large request bodies (images in base64) are accepted up to this size. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Headers of one hop, and those the server sets itself for the body it writes. */
const NOT_PASSED_ON = new Set([...HOP_BY_HOP_HEADERS, "content-length"]);

export interface GatewayHttpServerOptions {
  gateway: Gateway;
  routes: RouteStore;
  upstream: UpstreamClient;
  observer: RequestObserver;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Lists the models of rules that match by pattern at `/v1/models`. */
  discovery?: ModelDiscovery;
}

/** The time the gateway spends working, as opposed to waiting for the client or a backend. */
class Overhead {
  private totalMs = 0;

  time<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.totalMs += performance.now() - started;
    }
  }

  async timeAsync<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.totalMs += performance.now() - started;
    }
  }

  get ms(): number {
    return this.totalMs;
  }

  header(): Record<string, string> {
    return { [OVERHEAD_HEADER]: this.totalMs.toFixed(3) };
  }
}

class BodyTooLarge extends Error {}

/** The request's body, read with events: an async iterator per request shows under load. */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      done();
      request.resume();
      reject(new BodyTooLarge());
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onGone = () => {
      done();
      reject(new Error("the client went away before its request was whole"));
    };
    const done = () => {
      request.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
    };
    request.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
  });
}

/** The upstream's headers as the client gets them: without hop headers, with `mutation` applied. */
function passedOn(upstream: Record<string, string>, mutation: HeaderMutation) {
  const kept = Object.fromEntries(
    Object.entries(upstream).filter(([name]) => !NOT_PASSED_ON.has(name)),
  );
  const changed = applyHeaderMutation(kept, mutation);
  delete changed[":status"];
  return changed;
}

export class GatewayHttpServer {
  private readonly server: Server;

  constructor(private readonly options: GatewayHttpServerOptions) {
    this.server = createServer((request, response) => void this.handle(request, response));
    // Clients such as the OpenAI SDKs keep connections open between requests.
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens on `host:port` (0 picks a free port); resolves with the port bound. */
  async listen(port: number, host: string): Promise<number> {
    this.server.listen(port, host);
    await once(this.server, "listening");
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops taking connections and closes the idle ones; open requests are cut after `graceMs`. */
  async close(graceMs = 0): Promise<void> {
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.serve(request, response);
    } catch (error) {
      this.options.logger.error("a request failed in the gateway", { error: errorMessage(error) });
      if (!response.headersSent) {
        this.write(
          response,
          new GatewayError(500, "internal error in the AI gateway", "internal_error").toAnswer(),
        );
      } else {
        response.destroy();
      }
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { gateway, routes, observer, metrics } = this.options;
    const startedAt = Date.now();
    const method = request.method ?? "GET";
    const path = request.url ?? "/";
    const endpoint = path.split("?")[0];
    if (method === "GET" && endpoint === "/metrics") {
      const text = await metrics.registry.metrics();
      response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
      return;
    }
    const clientGone = new Cancellation();
    response.on("close", () => {
      if (!response.writableFinished) clientGone.cancel(new Error("the client went away"));
    });
    const overhead = new Overhead();
    const answered = (routeKey: string, answer: GatewayAnswer) => {
      this.write(response, { ...answer, headers: { ...answer.headers, ...overhead.header() } });
      const summary = answeredSummary(routeKey, endpoint, answer, Date.now() - startedAt);
      observer.finished(summary, { processingMs: overhead.ms });
    };

    const host = request.headers.host;
    const candidates = overhead.time(() => routesForHost(routes, host));
    const servesRoutes = routes.size > 0;
    if (candidates.length === 0 && servesRoutes) return answered("", noRouteForHost(routes, host));
    if (isModelsRequest(method, path)) {
      return answered("", await modelsOfRoutes(routes, candidates, this.options.discovery));
    }
    if (!servesRoutes) {
      const none = new GatewayError(
        503,
        "the gateway serves no route: its configuration has no AIGatewayRoute",
        "route_not_configured",
      );
      return answered("", none.toAnswer());
    }
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (clientGone.cancelled) return;
      if (!(error instanceof BodyTooLarge)) throw error;
      const tooLarge = new GatewayError(
        413,
        `the request body is larger than ${MAX_BODY_BYTES} bytes`,
        "request_too_large",
        "invalid_request_error",
      );
      return answered(candidates[0], tooLarge.toAnswer());
    }
    const headers = flatHeaders(request.headers);
    const read = overhead.time(() => gateway.read({ method, path, headers, body }));
    if ("answer" in read) return answered(candidates[0], read.answer);
    const routeKey = overhead.time(() => routeForModel(routes, candidates, read.request.headers));
    const started = await overhead.timeAsync(() => gateway.beginRead(routeKey, read.request));
    if (!(started instanceof Exchange)) return answered(routeKey, started);
    const summary = await this.relay(started, headers, response, clientGone, overhead);
    observer.finished(summary, { processingMs: overhead.ms });
  }

  /**
   * Sends the exchange's attempts until one gives an answer to pass on, and passes it on: a stream
   * as it arrives, anything else whole. While the client has nothing yet, a backend that fails (an
   * error status, no connection, no answer in time, a connection dropped mid-body) makes way for
   * the next one. Resolves with the request's summary.
   */
  private async relay(
    exchange: Exchange,
    clientHeaders: Record<string, string>,
    response: ServerResponse,
    clientGone: Cancellation,
    overhead: Overhead,
  ): Promise<RequestSummary> {
    let failure: GatewayAnswer | undefined;
    for (;;) {
      const attempt = exchange.attempt;
      const deadline = exchange.attemptDeadline(clientGone);
      let upstream: UpstreamResponse | undefined;
      let plan: ReturnType<Exchange["planResponse"]> | undefined;
      try {
        upstream = await this.options.upstream.send(attempt, clientHeaders, deadline);
        const { status, headers } = upstream;
        plan = overhead.time(() => exchange.planResponse(status, headers));
        if (plan.kind === "stream") {
          return await this.stream(exchange, upstream, plan.headers, response, overhead);
        }
        const whole = await upstream.whole();
        const translated = overhead.time(() =>
          exchange.translateBody(upstream!.status, upstream!.headers, whole),
        );
        const answer: GatewayAnswer = {
          status: translated.status,
          headers: passedOn(upstream.headers, translated.headers),
          body: translated.body,
        };
        if (plan.kind === "buffer") {
          this.write(response, this.served(exchange, answer, overhead));
          return exchange.finish();
        }
        failure = answer;
      } catch (error) {
        if (clientGone.cancelled) return exchange.finishUnanswered();
        // A stream already begun cannot be taken back: the client's is cut, as Envoy resets it.
        if (response.headersSent) {
          response.destroy();
          return { ...exchange.finish(), errorType: "upstream_reset" };
        }
        failure = exchange.attemptFailed(deadline.failure(error));
      } finally {
        deadline.clear();
      }
      const next = await overhead.timeAsync(() => exchange.advance());
      if (!("attempt" in next)) {
        this.write(response, this.served(exchange, next.unavailable ?? failure, overhead));
        return exchange.finish();
      }
    }
  }

  private async stream(
    exchange: Exchange,
    upstream: UpstreamResponse,
    mutation: HeaderMutation,
    response: ServerResponse,
    overhead: Overhead,
  ): Promise<RequestSummary> {
    response.writeHead(upstream.status, {
      ...passedOn(upstream.headers, mutation),
      [SERVED_BY_HEADER]: exchange.attempt.backend.id,
      ...overhead.header(),
    });
    // The headers, what the backend has already sent and, when that is all, the stream's end go
    // out in one write: a write each cost a system call each. What comes later goes as it comes,
    // and the headers by themselves when the backend has sent nothing more yet.
    let wrote = false;
    response.cork();
    setImmediate(() => {
      if (!wrote && !response.writableEnded) response.flushHeaders();
      response.uncork();
    });
    for await (const chunk of upstream.body) {
      const out = overhead.time(() => exchange.pushChunk(chunk));
      if (out.length === 0) continue;
      wrote = true;
      if (!response.write(out)) await drained(response);
    }
    response.end(overhead.time(() => exchange.endStream()));
    return exchange.finish();
  }

  private served(exchange: Exchange, answer: GatewayAnswer, overhead: Overhead): GatewayAnswer {
    return {
      ...answer,
      headers: {
        ...answer.headers,
        [SERVED_BY_HEADER]: exchange.attempt.backend.id,
        ...overhead.header(),
      },
    };
  }

  private write(response: ServerResponse, answer: GatewayAnswer): void {
    response.writeHead(answer.status, {
      ...answer.headers,
      "content-length": String(answer.body.length),
    });
    response.end(answer.body);
  }
}

/** Resolves when the client can take more, or is gone (then the upstream read is aborted too). */
function drained(response: ServerResponse): Promise<void> {
  // Gone already: neither event comes again.
  if (response.destroyed || response.writableEnded) return Promise.resolve();
  return new Promise(resolve => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
  });
}
