/**
 * The request path of the data plane, written once for both front doors (the ext_proc server and
 * `ai-gateway run`): find the route, answer `/v1/models`, read the model from the body, match the
 * rule, order its backends, and start the `Exchange` that translates, authenticates and answers.
 * No transport lives here.
 */
import { randomUUID } from "node:crypto";
import { MODEL_HEADER } from "../api/v1alpha1";
import type { BackendAuthRegistry } from "../auth/registry";
import { SUPPORTED_ENDPOINTS } from "../translators";
import { errorMessage } from "../lib/error-message";
import { TranslationError } from "../translators/errors";
import type { TranslatorDeps } from "../translators/types";
import { GatewayAnswer, GatewayError } from "./answer";
import { BackendHealth } from "./backend-health";
import { orderBackends } from "./backend-selection";
import { Exchange } from "./exchange";
import { isModelsRequest, modelList } from "./models";
import { matchRule } from "./rule-match";
import type { RouteStore } from "./route-store";

export interface GatewayOptions {
  routes: RouteStore;
  auth: BackendAuthRegistry;
  health?: BackendHealth;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Random numbers in [0, 1), for weighted selection. */
  random?: () => number;
  translatorDeps?: TranslatorDeps;
  /** How long a request's fallbacks may take, from its first backend's failure. Default 60 s. */
  fallbackBudgetMs?: number;
  onProblem?: (message: string) => void;
}

/** A client request with its body read. */
export interface GatewayRequest {
  method: string;
  /** The request path, query included. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A request whose body the gateway has read (`Gateway.read()`). */
export interface ReadRequest {
  /** The path without its query. */
  endpoint: string;
  /** The client's headers, with `x-ai-eg-model` set to the body's model. */
  headers: Record<string, string>;
  body: Record<string, unknown> & { model: string };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

export const DEFAULT_TRANSLATOR_DEPS: TranslatorDeps = {
  nowSeconds: () => Math.floor(Date.now() / 1000),
  newId: () => `chatcmpl-${randomUUID()}`,
};

export class Gateway {
  readonly health: BackendHealth;
  private readonly now: () => number;

  constructor(private readonly options: GatewayOptions) {
    this.now = options.now ?? Date.now;
    this.health = options.health ?? new BackendHealth({ now: this.now });
  }

  /**
   * What can be answered before the body is read: an unknown route (503) and `GET /v1/models`.
   * Undefined means: read the body, then `begin()`.
   */
  answerHeaders(routeKey: string, method: string, path: string): GatewayAnswer | undefined {
    const route = this.options.routes.get(routeKey);
    if (!route) return unknownRoute(routeKey).toAnswer();
    if (isModelsRequest(method, path)) return modelList(route);
    return undefined;
  }

  /**
   * Starts serving a request: the exchange to drive, or the answer when the gateway answers by
   * itself (a bad request, a model no rule serves, a backend without credentials).
   */
  async begin(routeKey: string, request: GatewayRequest): Promise<Exchange | GatewayAnswer> {
    const early = this.answerHeaders(routeKey, request.method, request.path);
    if (early) return early;
    const read = this.read(request);
    return "answer" in read ? read.answer : this.beginRead(routeKey, read.request);
  }

  /**
   * Reads a request's body as the OpenAI API takes it, once, for a front door that must know the
   * model before it knows the route (`ai-gateway run` with several routes): the request to pass to
   * `beginRead()`, or the answer to a bad one.
   */
  read(request: GatewayRequest): { request: ReadRequest } | { answer: GatewayAnswer } {
    try {
      return { request: readRequest(request) };
    } catch (error) {
      if (error instanceof GatewayError) return { answer: error.toAnswer() };
      throw error;
    }
  }

  /** `begin()` for a request already read. */
  async beginRead(routeKey: string, request: ReadRequest): Promise<Exchange | GatewayAnswer> {
    try {
      return await this.start(routeKey, request);
    } catch (error) {
      const { model } = request.body;
      if (error instanceof GatewayError) return { ...error.toAnswer(), model };
      if (error instanceof TranslationError) {
        return {
          status: error.status,
          headers: { "content-type": "application/json" },
          body: error.toBody(),
          model,
        };
      }
      throw error;
    }
  }

  private async start(routeKey: string, request: ReadRequest): Promise<Exchange> {
    const route = this.options.routes.get(routeKey);
    if (!route) throw unknownRoute(routeKey);
    const { endpoint, headers } = request;
    const body = withUsageForCosts(request.body, route.llmRequestCosts.length > 0);
    const model = body.model;
    const rule = matchRule(route, headers);
    if (!rule) {
      throw new GatewayError(
        404,
        `the model \`${model}\` does not exist or is not served by this gateway`,
        "model_not_found",
        "invalid_request_error",
        "model",
      );
    }
    const candidates = orderBackends(rule.backends, this.health, this.options.random);
    if (candidates.length === 0) {
      const why =
        rule.backends.length > 0
          ? "the route gives each of its backends for it weight 0"
          : "the route's backends for it are not ready (see the AIGatewayRoute's status)";
      throw new GatewayError(
        503,
        `no backend can serve \`${model}\` now: ${why}`,
        "no_backend_ready",
      );
    }
    return Exchange.start(route, rule, { endpoint, headers, body }, candidates, {
      auth: this.options.auth,
      translatorDeps: this.options.translatorDeps ?? DEFAULT_TRANSLATOR_DEPS,
      health: this.health,
      now: this.now,
      fallbackBudgetMs: this.options.fallbackBudgetMs ?? 60_000,
      ...(this.options.onProblem ? { onProblem: this.options.onProblem } : {}),
    });
  }
}

/**
 * The endpoint, the body as a JSON object naming its model, and the headers with the model header
 * set from it (the rules match on it).
 * @throws GatewayError for a path the gateway does not serve, or a body that is not such an object.
 */
function readRequest(request: GatewayRequest): ReadRequest {
  const endpoint = request.path.split("?")[0];
  if (!(SUPPORTED_ENDPOINTS as readonly string[]).includes(endpoint)) {
    throw new GatewayError(
      404,
      `unsupported path: ${endpoint}; the gateway serves ${SUPPORTED_ENDPOINTS.join(", ")} and GET /v1/models`,
      "unsupported_path",
    );
  }
  const body = parseBody(request.body);
  return { endpoint, headers: { ...request.headers, [MODEL_HEADER]: body.model }, body };
}

const unknownRoute = (routeKey: string) =>
  new GatewayError(
    503,
    `the gateway has no configuration for route ${routeKey} yet; if this persists, check the AIGatewayRoute's status`,
    "route_not_configured",
  );

/**
 * A stream reports its token usage only when asked (`stream_options.include_usage`); a route that
 * charges tokens asks for it, so the client then gets the usage chunk too.
 */
function withUsageForCosts<T extends Record<string, unknown>>(body: T, chargesTokens: boolean): T {
  if (!chargesTokens || body.stream !== true) return body;
  const options = body.stream_options;
  const current = typeof options === "object" && options !== null ? options : {};
  return { ...body, stream_options: { ...current, include_usage: true } };
}

/** The request body as the OpenAI API takes it: a JSON object naming a model. */
function parseBody(bytes: Uint8Array): Record<string, unknown> & { model: string } {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new GatewayError(
      400,
      `the request body is not valid JSON: ${errorMessage(error)}`,
      "invalid_json",
      "invalid_request_error",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GatewayError(400, "the request body must be a JSON object", "invalid_body");
  }
  const model = (value as { model?: unknown }).model;
  if (typeof model !== "string" || model === "") {
    throw new GatewayError(
      400,
      "you must provide a model parameter",
      "missing_model",
      "invalid_request_error",
      "model",
    );
  }
  // Envoy refuses a header mutation with such a value, and would answer an empty 500.
  if (CONTROL_CHARACTER.test(model)) {
    throw new GatewayError(
      400,
      `model: must not hold control characters (line breaks, tabs): the gateway routes on it as the ${MODEL_HEADER} header`,
      "invalid_model",
      "invalid_request_error",
      "model",
    );
  }
  return { ...value, model };
}

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
