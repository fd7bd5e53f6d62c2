/**
 * One client request, from its backend's selection to its last byte, across the attempts a fallback
 * makes. Front doors drive it: they hand it the upstream response as it arrives and apply what it
 * returns. It holds the route config the request started with, so a config change never reaches a
 * request in flight.
 */
import type { RouteConfig, RuleConfig } from "../contract/route-config";
import type { HeaderMutation } from "../lib/header-mutation";
import { errorMessage } from "../lib/error-message";
import { TranslationError } from "../translators/errors";
import { NO_USAGE } from "../translators/shared/token-usage";
import type { StreamTranslator, TokenUsage } from "../translators/types";
import {
  CANCELLED,
  CLIENT_CLOSED_REQUEST,
  GatewayAnswer,
  GatewayError,
  unansweredStatus,
} from "./answer";
import { BackendHealth, isBackendFailure } from "./backend-health";
import { decodeBody, isEncoded } from "./content-encoding";
import { namesModel } from "./models";
import { computeCosts } from "./costs";
import { composeHeaderMutations } from "./header-mutation";
import type { BackendConfig } from "../contract/route-config";
import {
  AttemptDeps,
  ClientRequestContext,
  prepareAttempt,
  UpstreamAttempt,
} from "./upstream-attempt";
import type { UpstreamClient } from "./upstream-client";
import type { UpstreamResponse } from "./upstream-answer";
import { AttemptDeadline, type AttemptFailure, type AttemptLimit } from "./attempt-deadline";
import type { Cancellation } from "./cancellation";

/** What to do with an upstream response once its status and headers are known. */
export type ResponsePlan =
  /** The backend failed and another may serve: do not pass this response on. */
  | { kind: "fallback" }
  /** A stream the client asked for: switch to streaming, apply `headers`, push each chunk. */
  | { kind: "stream"; headers: HeaderMutation }
  /** Read the whole body, then translate it. */
  | { kind: "buffer" };

/** The client's answer for a complete upstream response. */
export interface TranslatedBody {
  status: number;
  headers: HeaderMutation;
  body: Uint8Array;
}

/** What a finished request did, for its log line, its metrics and its dynamic metadata. */
export interface RequestSummary {
  route: string;
  backend: string;
  /** The API schema of the backend that served (`OpenAI`, `AWSBedrock`, ...). */
  schema: string;
  /** The model the client asked for, and the one sent upstream. */
  model: string;
  upstreamModel: string;
  /**
   * Whether the rule names the model exactly: a name the operator chose, not any text a client
   * sent through a rule that matches models by pattern.
   */
  modelNamedByRule: boolean;
  endpoint: string;
  stream: boolean;
  status: number;
  usage: TokenUsage;
  /** `metadataKey → value` of the route's `llmRequestCosts`. */
  costs: Record<string, number>;
  /** Backends tried before the one that answered. */
  fallbacks: string[];
  durationMs: number;
  /** For streams: when the first translated bytes were ready. */
  timeToFirstTokenMs?: number;
  /** Why the request failed, when it did: the error's type or code. */
  errorType?: string;
}

export interface ExchangeDeps extends AttemptDeps {
  health: BackendHealth;
  now: () => number;
  /**
   * How long fallbacks may take, from the first backend's failure: for ext_proc, what Envoy waits
   * for the answer to the message that brought that failure.
   */
  fallbackBudgetMs: number;
  /** Where a cost could not be computed. */
  onProblem?: (message: string) => void;
}

export class Exchange {
  private streamTranslator?: StreamTranslator;
  private responseStatus = 0;
  private usage: TokenUsage = NO_USAGE;
  private firstBytesAt?: number;
  /** When the first fallback began: the fallback budget counts from there. */
  private fallingBackSince?: number;
  private readonly failed: string[] = [];
  private errorType?: string;
  private streamFailed = false;

  private constructor(
    readonly route: RouteConfig,
    readonly rule: RuleConfig,
    private readonly request: ClientRequestContext,
    /** The backends still to try, in order. */
    private readonly remaining: BackendConfig[],
    private current: UpstreamAttempt,
    private readonly deps: ExchangeDeps,
    private readonly startedAt: number,
  ) {}

  /**
   * Prepares the first attempt at the first backend of `candidates` that can take it
   * (`firstTakingBackend`). When none can: the last backend's unavailability if any was
   * unavailable, since a retry may then succeed, or else the most preferred backend's refusal.
   */
  static async start(
    route: RouteConfig,
    rule: RuleConfig,
    request: ClientRequestContext,
    candidates: BackendConfig[],
    deps: ExchangeDeps,
  ): Promise<Exchange> {
    const startedAt = deps.now();
    const remaining = [...candidates];
    const next = await firstTakingBackend(remaining, request, deps, () => true);
    if (!("attempt" in next)) throw next.unavailable ?? next.refused;
    // Only another backend's attempt reads the client's parsed body again: without one left, the
    // exchange does not hold it (nor its base64 images) while the upstream answers.
    const kept = remaining.length > 0 ? request : { ...request, body: undefined };
    return new Exchange(route, rule, kept, remaining, next.attempt, deps, startedAt);
  }

  /** The attempt the front door is to send (or to have Envoy send). */
  get attempt(): UpstreamAttempt {
    return this.current;
  }

  /**
   * Decides from the upstream status and headers. A backend failure (5xx, 429) is recorded, and
   * asks for a fallback while another backend is left and the time budget lasts.
   */
  planResponse(status: number, headers: Record<string, string>): ResponsePlan {
    this.responseStatus = status;
    const backendId = this.current.backend.id;
    if (isBackendFailure(status)) {
      this.deps.health.recordFailure(backendId);
      if (this.canAdvance()) return { kind: "fallback" };
    } else {
      this.deps.health.recordSuccess(backendId);
    }
    const ok = status >= 200 && status < 300;
    if (ok && this.current.stream && !isEncoded(headers["content-encoding"])) {
      this.streamTranslator = this.current.translator.createStreamTranslator();
      return {
        kind: "stream",
        headers: composeHeaderMutations(this.streamTranslator.headers, {
          set: {},
          remove: ["content-length", "content-encoding"],
        }),
      };
    }
    return { kind: "buffer" };
  }

  /** Translated bytes for one chunk of a stream (possibly none yet). */
  pushChunk(chunk: Uint8Array): Uint8Array {
    if (this.streamFailed) return EMPTY;
    try {
      const out = this.streamTranslator!.push(chunk);
      if (out.length > 0 && this.firstBytesAt === undefined) this.firstBytesAt = this.deps.now();
      return out;
    } catch (error) {
      return this.failStream(error);
    }
  }

  /** The rest of a stream, once the upstream ended it. */
  endStream(): Uint8Array {
    if (this.streamFailed) return EMPTY;
    try {
      const out = this.streamTranslator!.end();
      this.usage = this.streamTranslator!.usage();
      return out;
    } catch (error) {
      return this.failStream(error);
    }
  }

  /**
   * A stream the translator cannot read (corrupt frames, garbage): its status is already sent, so
   * the client learns it from an error event, and the rest of the upstream stream is dropped.
   */
  private failStream(error: unknown): Uint8Array {
    this.streamFailed = true;
    const failure = this.unreadable("stream", error);
    this.errorType = failure.code ?? undefined;
    this.responseStatus = failure.status;
    const event = new TextDecoder().decode(failure.toAnswer().body);
    return new TextEncoder().encode(`data: ${event}\n\ndata: [DONE]\n\n`);
  }

  private unreadable(what: string, error: unknown): GatewayError {
    return new GatewayError(
      502,
      `backend ${this.current.backend.id} sent a ${what} the gateway cannot read: ${errorMessage(error)}`,
      "bad_upstream_response",
    );
  }

  /** Translates a complete upstream response (success or provider error). */
  translateBody(status: number, headers: Record<string, string>, body: Uint8Array): TranslatedBody {
    this.responseStatus = status;
    try {
      return this.translateReadable(status, headers, decodeBody(body, headers["content-encoding"]));
    } catch (error) {
      const failure = this.unreadable("response", error);
      const answer = failure.toAnswer();
      this.responseStatus = failure.status;
      this.errorType = failure.code ?? undefined;
      return {
        status: failure.status,
        headers: composeHeaderMutations(
          { set: answer.headers, remove: ["content-encoding"] },
          contentLength(answer.body),
        ),
        body: answer.body,
      };
    }
  }

  private translateReadable(
    status: number,
    headers: Record<string, string>,
    plain: Uint8Array,
  ): TranslatedBody {
    const removeEncoding = { set: {}, remove: ["content-encoding"] };
    if (status >= 200 && status < 300 && this.current.stream) {
      // A stream that came compressed is read whole and translated at once.
      const translator = this.current.translator.createStreamTranslator();
      const translated = concat(translator.push(plain), translator.end());
      this.usage = translator.usage();
      this.firstBytesAt ??= this.deps.now();
      return {
        status,
        headers: composeHeaderMutations(
          translator.headers,
          removeEncoding,
          contentLength(translated),
        ),
        body: translated,
      };
    }
    const translated = this.current.translator.translateResponse({ status, headers, body: plain });
    this.usage = translated.usage;
    this.responseStatus = translated.status;
    if (translated.status >= 400) this.errorType = errorTypeOf(translated.body);
    return {
      status: translated.status,
      headers: composeHeaderMutations(
        translated.headers,
        removeEncoding,
        contentLength(translated.body),
      ),
      body: translated.body,
    };
  }

  /**
   * Starts the clock on the current attempt (`attemptLimit`); `cancelled` (the client went away)
   * ends it too.
   */
  attemptDeadline(cancelled?: Cancellation, withinFallbackBudget = false): AttemptDeadline {
    return new AttemptDeadline(this.attemptLimit(withinFallbackBudget), cancelled);
  }

  /**
   * How long the current attempt may take: the rule's backend request timeout, within what is left
   * of its request timeout, as Envoy bounds a routed request; and, for an answer the gateway must
   * have whole before the client gets anything (`withinFallbackBudget`), within what is left of the
   * fallback budget. Decided when the attempt starts, so that the reason given when it runs out
   * names the limit that did.
   */
  attemptLimit(withinFallbackBudget = false): AttemptLimit {
    // Of equal limits the backend's own wins: it is the more precise reason.
    let ms = this.rule.timeouts.backendRequestMs || Infinity;
    let limit: "backend request" | "request" | "fallback budget" = "backend request";
    const requestLeft = this.requestLeftMs();
    if (requestLeft < ms) {
      ms = requestLeft;
      limit = "request";
    }
    const budgetLeft = withinFallbackBudget ? this.fallbackBudgetLeftMs() : Infinity;
    if (budgetLeft < ms) {
      ms = budgetLeft;
      limit = "fallback budget";
    }
    if (ms === Infinity) return NO_LIMIT;
    const { requestMs, backendRequestMs = 0 } = this.rule.timeouts;
    const exceeded =
      limit === "fallback budget"
        ? `no answer within the gateway's fallback budget (${seconds(this.deps.fallbackBudgetMs)})`
        : `no answer within the rule's ${limit} timeout (${seconds(limit === "request" ? requestMs : backendRequestMs)})`;
    return { ms: Math.max(1, ms), exceeded, backendAtFault: limit === "backend request" };
  }

  /**
   * Moves on from the current attempt, which failed, to the next backend that can take the
   * request (as `start` picks the first), for a front door that sends attempts itself and streams
   * their answers. Resolves to the new attempt or, when none is left or the time budget ran out,
   * to the unavailability of a backend passed over, if any: it outranks the failure the caller
   * already has. A refusal does not (the request is fine for the backend that failed, and a retry
   * may succeed), so it is not returned.
   */
  async advance(): Promise<{ attempt: UpstreamAttempt } | { unavailable?: GatewayAnswer }> {
    this.fallingBackSince ??= this.deps.now();
    const next = await firstTakingBackend(this.remaining, this.request, this.deps, () =>
      this.canAdvance(),
    );
    if ("attempt" in next) {
      this.failed.push(this.current.backend.id);
      this.current = next.attempt;
      return next;
    }
    if (!next.unavailable) return {};
    // Only backends that could not express the request were left: the failed one's answer stands.
    this.failed.push(this.current.backend.id);
    return { unavailable: next.unavailable.toAnswer() };
  }

  /**
   * The current attempt got no answer to pass on: its backend could not be reached, did not
   * answer in time, or dropped the connection before the answer was whole. Records the backend's
   * failure when it is to blame (not when the request's own time ran out while it answered), and
   * returns what the client gets when no other backend serves: a 502 naming the backend.
   */
  attemptFailed(failure: AttemptFailure): GatewayAnswer {
    if (failure.backendAtFault) this.deps.health.recordFailure(this.current.backend.id);
    const answer = new GatewayError(
      502,
      `backend ${this.current.backend.id} did not answer: ${errorMessage(failure.reason)}`,
      "upstream_unreachable",
    );
    this.responseStatus = answer.status;
    this.errorType = answer.code ?? undefined;
    return answer.toAnswer();
  }

  /**
   * Sends the request to the remaining backends, in order, from the gateway itself, until one
   * answers with something other than a backend failure, and returns its translated answer
   * (whole, also for a stream: the client gets it in one piece). When every backend failed, the
   * last failure is what the client gets. Undefined when no other backend could be tried (none
   * could express the request, or no time was left): the failed backend's own answer stands.
   */
  async fallBack(
    upstream: UpstreamClient,
    cancelled?: Cancellation,
  ): Promise<GatewayAnswer | undefined> {
    let last: GatewayAnswer | undefined;
    for (;;) {
      const next = await this.advance();
      if (!("attempt" in next)) {
        last = next.unavailable ?? last;
        break;
      }
      const deadline = this.attemptDeadline(cancelled, true);
      let response: UpstreamResponse;
      let body: Uint8Array;
      try {
        response = await upstream.send(this.current, this.request.headers, deadline);
        body = await response.whole();
      } catch (error) {
        // The client went away: no backend failed, and no one waits for an answer (the front
        // door that cancelled reports the request with `finishUnanswered()`).
        if (cancelled?.cancelled) return CANCELLED_ANSWER.toAnswer();
        last = this.attemptFailed(deadline.failure(error));
        continue;
      } finally {
        deadline.clear();
      }
      const plan = this.planResponse(response.status, response.headers);
      if (plan.kind === "fallback") {
        last = this.answerOf(response.status, response.headers, body);
        continue;
      }
      return this.answerOf(response.status, response.headers, body);
    }
    return last;
  }

  /**
   * The summary of a request that ended before its answer did: by default the client went away
   * (reported as the client's 499); a front door's own failure names its error type (reported as
   * 500). Whatever the upstream answered, the client did not get it whole. Call once, instead of
   * `finish()`.
   */
  finishUnanswered(errorType: string = CANCELLED): RequestSummary {
    this.responseStatus = unansweredStatus(errorType);
    this.errorType = errorType;
    return this.finish();
  }

  /** The request's summary; call once, when the client has its answer. */
  finish(): RequestSummary {
    const { values, problems } = computeCosts(this.route.llmRequestCosts, {
      usage: this.usage,
      model: this.current.requestedModel,
      backend: this.current.backend.id,
    });
    for (const problem of problems) this.deps.onProblem?.(`cost ${problem}`);
    const status = this.responseStatus;
    return {
      route: `${this.route.namespace}/${this.route.name}`,
      backend: this.current.backend.id,
      schema: this.current.backend.schema.name,
      model: this.current.requestedModel,
      upstreamModel: this.current.upstreamModel,
      modelNamedByRule: namesModel(this.rule, this.current.requestedModel),
      endpoint: this.request.endpoint,
      stream: this.current.stream,
      status,
      usage: this.usage,
      costs: values,
      fallbacks: [...this.failed],
      durationMs: this.deps.now() - this.startedAt,
      ...(this.current.stream && this.firstBytesAt !== undefined
        ? { timeToFirstTokenMs: this.firstBytesAt - this.startedAt }
        : {}),
      ...(status >= 400 ? { errorType: this.errorType ?? String(status) } : {}),
    };
  }

  private answerOf(
    status: number,
    headers: Record<string, string>,
    body: Uint8Array,
  ): GatewayAnswer {
    const translated = this.translateBody(status, headers, body);
    const answerHeaders: Record<string, string> = {
      ...rateLimitHeaders(headers),
      "content-type": headers["content-type"] ?? "application/json",
      ...translated.headers.set,
    };
    for (const name of translated.headers.remove) delete answerHeaders[name];
    return { status: translated.status, headers: answerHeaders, body: translated.body };
  }

  /** Whether another backend may still be tried: one is left, and the time budget lasts. */
  canAdvance(): boolean {
    return this.remaining.length > 0 && this.budgetLeft() > 0;
  }

  /** What is left of the fallback budget and of the rule's request timeout (ms). */
  private budgetLeft(): number {
    return Math.min(this.requestLeftMs(), this.fallbackBudgetLeftMs());
  }

  /** What is left of the rule's request timeout (ms; Infinity without one). */
  private requestLeftMs(): number {
    const { requestMs } = this.rule.timeouts;
    return requestMs ? this.startedAt + requestMs - this.deps.now() : Infinity;
  }

  private fallbackBudgetLeftMs(): number {
    if (this.fallingBackSince === undefined) return this.deps.fallbackBudgetMs;
    return this.fallingBackSince + this.deps.fallbackBudgetMs - this.deps.now();
  }
}

/**
 * The attempt at the first backend of `backends` that can take the request, taking the backends it
 * tries off the list while `mayTry()` allows. A backend whose credentials cannot be had is passed
 * over and counted as failed; one that cannot express the request is passed over too, but not
 * counted (a rule may mix providers that support different features). When none can: the last
 * unavailability, and the first (most preferred) refusal.
 */
async function firstTakingBackend(
  backends: BackendConfig[],
  request: ClientRequestContext,
  deps: ExchangeDeps,
  mayTry: () => boolean,
): Promise<
  { attempt: UpstreamAttempt } | { unavailable?: GatewayError; refused?: TranslationError }
> {
  let unavailable: GatewayError | undefined;
  let refused: TranslationError | undefined;
  while (backends.length > 0 && mayTry()) {
    const backend = backends.shift()!;
    try {
      return { attempt: await prepareAttempt(backend, request, deps) };
    } catch (error) {
      if (error instanceof GatewayError) {
        deps.health.recordFailure(backend.id);
        unavailable = error;
      } else if (error instanceof TranslationError) {
        refused ??= error;
      } else {
        throw error;
      }
    }
  }
  return { unavailable, refused };
}

/**
 * The provider's headers that tell a client when to try again (`retry-after`, `retry-after-ms`,
 * `x-ratelimit-*`): an answer the gateway got itself passes them on, as Envoy passes on a routed
 * one, for clients such as the OpenAI SDKs that back off by them.
 */
function rateLimitHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "retry-after" || name === "retry-after-ms" || name.startsWith("x-ratelimit-")) {
      kept[name] = value;
    }
  }
  return kept;
}

const CANCELLED_ANSWER = new GatewayError(CLIENT_CLOSED_REQUEST, "the client went away", CANCELLED);
const NO_LIMIT: AttemptLimit = { ms: Infinity, exceeded: "", backendAtFault: false };

const seconds = (ms: number) => `${ms / 1000} s`;
const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const contentLength = (body: Uint8Array): HeaderMutation => ({
  set: { "content-length": String(body.length) },
  remove: [],
});

/** The OpenAI error's `type` (or `code`) of a translated error body, for metrics. */
function errorTypeOf(body: Uint8Array): string | undefined {
  try {
    const error = JSON.parse(new TextDecoder().decode(body))?.error;
    return typeof error?.type === "string" ? error.type : undefined;
  } catch {
    return undefined;
  }
}
