import { gzipSync } from "node:zlib";
import { BackendAuthRegistry } from "../../auth/registry";
import type { RouteConfig, RuleConfig } from "../../contract/route-config";
import type { GatewayAnswer } from "../../pipeline/answer";
import { Cancellation } from "../../pipeline/cancellation";
import { MAX_DECODED_BYTES } from "../../pipeline/content-encoding";
import { Exchange } from "../../pipeline/exchange";
import { Gateway, GatewayRequest } from "../../pipeline/gateway";
import { RouteStore } from "../../pipeline/route-store";
import { authenticate } from "../../pipeline/upstream-attempt";
import { UpstreamClient } from "../../pipeline/upstream-client";
import {
  eventually,
  sendJSON,
  startFakeServer,
  type FakeHandler,
} from "../auth/support/fake-server";
import { backend, json, modelRule, ROUTE_KEY, routeConfig, text } from "./fixtures";

const CHAT = "/v1/chat/completions";
/** AWS credentials from an OIDC token whose endpoint refuses connections. */
const UNREACHABLE_TOKEN_ENDPOINT = {
  type: "AWSCredentials" as const,
  region: "us-east-1",
  oidcExchangeToken: {
    oidc: {
      issuer: "http://127.0.0.1:9",
      tokenEndpoint: "http://127.0.0.1:9/token",
      clientID: "client",
      clientSecret: "secret",
    },
    awsRoleArn: "arn:aws:iam::123456789012:role/bedrock",
  },
};
const AWS_FILE = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n";

function setUp(route: RouteConfig, options: { fallbackBudgetMs?: number } = {}) {
  const auth = new BackendAuthRegistry();
  const routes = new RouteStore(auth);
  routes.load(route, "test");
  const clock = { ms: 1_000_000 };
  const gateway = new Gateway({
    routes,
    auth,
    now: () => clock.ms,
    random: () => 0,
    translatorDeps: { nowSeconds: () => 1_700_000_000, newId: () => "chatcmpl-test" },
    ...options,
  });
  return { gateway, auth, routes, clock };
}

const request = (body: unknown, overrides: Partial<GatewayRequest> = {}): GatewayRequest => ({
  method: "POST",
  path: CHAT,
  headers: { "content-type": "application/json", authorization: "Bearer client-key" },
  body: typeof body === "string" ? new TextEncoder().encode(body) : json(body),
  ...overrides,
});

const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };

function expectAnswer(result: Exchange | GatewayAnswer): GatewayAnswer {
  if (result instanceof Exchange) throw new Error("expected an answer, got an exchange");
  return result;
}

/** The answer of a fallback that was made: another backend could be tried. */
function fellBack(answer: GatewayAnswer | undefined): GatewayAnswer {
  if (!answer) throw new Error("expected a fallback, but no other backend could be tried");
  return answer;
}

function expectExchange(result: Exchange | GatewayAnswer): Exchange {
  if (!(result instanceof Exchange))
    throw new Error(`expected an exchange, got ${text(result.body)}`);
  return result;
}

const errorOf = (answer: GatewayAnswer) => ({
  status: answer.status,
  ...JSON.parse(text(answer.body)),
});

describe("Gateway: what it answers by itself", () => {
  const route = routeConfig([modelRule("gpt-4o", [backend("openai")])]);

  it("answers 503 naming a route it has no configuration for", () => {
    const { gateway } = setUp(route);
    expect(errorOf(gateway.answerHeaders("default/other", "POST", CHAT)!)).toEqual({
      status: 503,
      error: {
        message:
          "the gateway has no configuration for route default/other yet; if this persists, check the AIGatewayRoute's status",
        type: "api_error",
        param: null,
        code: "route_not_configured",
      },
    });
  });

  it("lists the route's models at GET /v1/models", () => {
    const { gateway } = setUp(
      routeConfig([modelRule("gpt-4o", [backend("a")]), modelRule("llama", [backend("b")])]),
    );
    const answer = gateway.answerHeaders(ROUTE_KEY, "GET", "/v1/models")!;
    expect(answer.status).toBe(200);
    expect(JSON.parse(text(answer.body))).toEqual({
      object: "list",
      data: [
        { id: "gpt-4o", object: "model", created: 1704067200, owned_by: "Example" },
        { id: "llama", object: "model", created: 1704067200, owned_by: "Example" },
      ],
    });
    expect(gateway.answerHeaders(ROUTE_KEY, "POST", CHAT)).toBeUndefined();
  });

  it.each([
    [
      "an unsupported path",
      request(chat, { path: "/v1/images/generations" }),
      404,
      "unsupported path: /v1/images/generations; the gateway serves /v1/chat/completions, /v1/embeddings, /v1/completions and GET /v1/models",
      "unsupported_path",
    ],
    [
      "a body that is not JSON",
      request("{model: gpt-4o"),
      400,
      "the request body is not valid JSON: Expected property name or '}' in JSON at position 1",
      "invalid_json",
    ],
    [
      "a JSON array",
      request([chat]),
      400,
      "the request body must be a JSON object",
      "invalid_body",
    ],
    [
      "a body without a model",
      request({ messages: [] }),
      400,
      "you must provide a model parameter",
      "missing_model",
    ],
    [
      "a JSON body whose text holds a byte that is not UTF-8",
      request(undefined, {
        body: Buffer.concat([
          Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"'),
          Buffer.from([0xff]),
          Buffer.from('"}]}'),
        ]),
      }),
      400,
      "the request body is not valid JSON: The encoded data was not valid for encoding utf-8",
      "invalid_json",
    ],
    [
      "a model that cannot be a header value",
      request({ ...chat, model: "gpt-4o\r\nx-injected: 1" }),
      400,
      "model: must not hold control characters (line breaks, tabs): the gateway routes on it as the x-ai-eg-model header",
      "invalid_model",
    ],
    [
      "a model no rule serves",
      request({ ...chat, model: "gpt-5" }),
      404,
      "the model `gpt-5` does not exist or is not served by this gateway",
      "model_not_found",
    ],
  ])("refuses %s", async (_name, input, status, message, code) => {
    const { gateway } = setUp(route);
    const answer = errorOf(expectAnswer(await gateway.begin(ROUTE_KEY, input)));
    expect(answer.status).toBe(status);
    expect(answer.error.message).toBe(message);
    expect(answer.error.code).toBe(code);
  });

  it("says which model a request it refused after reading it named, for the log", async () => {
    const { gateway } = setUp(route);
    const answer = expectAnswer(
      await gateway.begin(ROUTE_KEY, request({ ...chat, model: "gpt-5" })),
    );
    expect(answer.model).toBe("gpt-5");
  });

  it("says why no backend can serve: every one has weight 0, or none is ready", async () => {
    const zero = setUp(routeConfig([modelRule("gpt-4o", [backend("openai", { weight: 0 })])]));
    const none = setUp(routeConfig([modelRule("gpt-4o", [])]));
    expect(errorOf(expectAnswer(await zero.gateway.begin(ROUTE_KEY, request(chat))))).toEqual({
      status: 503,
      error: {
        message:
          "no backend can serve `gpt-4o` now: the route gives each of its backends for it weight 0",
        type: "api_error",
        param: null,
        code: "no_backend_ready",
      },
    });
    expect(
      errorOf(expectAnswer(await none.gateway.begin(ROUTE_KEY, request(chat)))).error.message,
    ).toBe(
      "no backend can serve `gpt-4o` now: the route's backends for it are not ready (see the AIGatewayRoute's status)",
    );
  });

  it("fails closed when the backend's credentials cannot be had: 503, nothing to send", async () => {
    const unreachable = backend("bedrock", {
      schema: { name: "AWSBedrock" },
      auth: UNREACHABLE_TOKEN_ENDPOINT,
    });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [unreachable])]));
    const answer = errorOf(expectAnswer(await gateway.begin(ROUTE_KEY, request(chat))));
    expect(answer.status).toBe(503);
    expect(answer.error.code).toBe("backend_credentials_unavailable");
    expect(answer.error.message).toMatch(/^could not authenticate to backend default\/bedrock: /);
  });
});

describe("Gateway: the upstream request", () => {
  it("translates, mutates and authenticates for the selected backend", async () => {
    const openai = backend("openai", {
      modelNameOverride: "gpt-4o-2024-08-06",
      headerMutation: { set: [{ name: "X-Team", value: "blue" }], remove: ["x-debug"] },
      bodyMutation: { set: [{ path: "temperature", value: "0.2" }], remove: ["user"] },
    });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [openai])]));
    const exchange = expectExchange(
      await gateway.begin(ROUTE_KEY, request({ ...chat, user: "u1" })),
    );
    const { attempt } = exchange;
    const body = JSON.parse(text(attempt.body));
    expect(body).toEqual({ ...chat, model: "gpt-4o-2024-08-06", temperature: 0.2 });
    expect(attempt.headers.set).toMatchObject({
      ":path": "/v1/chat/completions",
      "content-length": String(attempt.body.length),
      "content-type": "application/json",
      "x-ai-eg-model": "gpt-4o",
      "x-ai-eg-backend": "default/openai",
      "x-team": "blue",
      authorization: "Bearer sk-openai",
    });
    expect(attempt.headers.remove).toEqual(
      expect.arrayContaining(["x-debug", "x-api-key", "api-key", "x-goog-api-key"]),
    );
    expect(attempt.headers.remove).not.toContain("authorization");
    expect(attempt.origin).toEqual({ hostname: "openai.example.com", port: 443, tls: true });
  });

  it("asks for a stream uncompressed, which it can translate as it comes", async () => {
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [backend("openai")])]));
    const gzipped = { headers: { "content-type": "application/json", "accept-encoding": "gzip" } };
    const stream = expectExchange(
      await gateway.begin(ROUTE_KEY, request({ ...chat, stream: true }, gzipped)),
    );
    expect(stream.attempt.headers.remove).toContain("accept-encoding");
    const whole = expectExchange(await gateway.begin(ROUTE_KEY, request(chat, gzipped)));
    expect(whole.attempt.headers.remove).not.toContain("accept-encoding");
  });

  it("removes the client's own credentials for a backend without a policy", async () => {
    const open = backend("vllm", { auth: undefined });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [open])]));
    const { attempt } = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(attempt.headers.remove).toContain("authorization");
    expect(attempt.headers.set.authorization).toBeUndefined();
  });

  it("keeps a credential header the backend's own configuration sets, not the client's", async () => {
    const vllm = backend("vllm", {
      auth: undefined,
      headerMutation: { set: [{ name: "Authorization", value: "Bearer static-token" }] },
    });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [vllm])]));
    const { attempt } = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(attempt.headers.set.authorization).toBe("Bearer static-token");
    expect(attempt.headers.remove).not.toContain("authorization");
    expect(attempt.headers.remove).toContain("x-api-key");
    // The same for every call the gateway authenticates, model listings included.
    const listing = await authenticate(
      vllm,
      {
        path: "/v1/models",
        headers: { authorization: "Bearer client-key" },
        body: new Uint8Array(),
      },
      new BackendAuthRegistry(),
      "GET",
    );
    expect(listing.headers.remove).not.toContain("authorization");
  });

  it("signs a Bedrock request with SigV4 over the translated body", async () => {
    const bedrock = backend("bedrock", {
      schema: { name: "AWSBedrock" },
      endpoint: { hostname: "bedrock-runtime.us-east-1.amazonaws.com", port: 443, tls: true },
      modelNameOverride: "anthropic.claude-3-5-sonnet-20240620-v1:0",
      auth: {
        type: "AWSCredentials",
        region: "us-east-1",
        credentialsFile: { content: AWS_FILE, profile: "default" },
      },
    });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [bedrock])]));
    const { attempt } = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(attempt.path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(attempt.headers.set[":path"]).toBe(attempt.path);
    expect(attempt.headers.set.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
    );
    expect(attempt.headers.set["x-amz-content-sha256"]).toBeDefined();
    expect(JSON.parse(text(attempt.body))).toMatchObject({
      messages: [{ role: "user", content: [{ text: "hi" }] }],
    });
  });

  it("passes over a backend without credentials to the next one", async () => {
    const broken = backend("broken", {
      schema: { name: "AWSBedrock" },
      auth: UNREACHABLE_TOKEN_ENDPOINT,
    });
    const { gateway } = setUp(
      routeConfig([modelRule("gpt-4o", [broken, backend("spare", { priority: 1 })])]),
    );
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(exchange.attempt.backend.id).toBe("default/spare");
    expect(gateway.health.isCoolingDown("default/broken")).toBe(true);
  });

  describe("a rule that mixes providers", () => {
    const anthropic = backend("anthropic", { schema: { name: "Anthropic" } });
    const twoChoices = { ...chat, n: 2 };

    it("passes over a backend that cannot express the request, without cooling it down", async () => {
      const { gateway } = setUp(
        routeConfig([modelRule("gpt-4o", [anthropic, backend("openai", { priority: 1 })])]),
      );
      const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(twoChoices)));
      expect(exchange.attempt.backend.id).toBe("default/openai");
      expect(gateway.health.isCoolingDown("default/anthropic")).toBe(false);
    });

    it("answers the preferred backend's refusal when no backend can express the request", async () => {
      const { gateway } = setUp(
        routeConfig([
          modelRule("gpt-4o", [
            anthropic,
            backend("anthropic-eu", { schema: { name: "Anthropic" }, priority: 1 }),
          ]),
        ]),
      );
      expect(errorOf(expectAnswer(await gateway.begin(ROUTE_KEY, request(twoChoices))))).toEqual({
        status: 400,
        error: {
          message: "n: Anthropic returns one choice per request; n must be 1.",
          type: "invalid_request_error",
          param: "n",
          code: null,
        },
      });
    });

    it("answers 503 when a backend that was passed over was only unavailable", async () => {
      // An OpenAI-compatible backend that takes `n`, but whose credentials cannot be had.
      const broken = backend("broken", { auth: UNREACHABLE_TOKEN_ENDPOINT, priority: 1 });
      const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [anthropic, broken])]));
      const answer = expectAnswer(await gateway.begin(ROUTE_KEY, request(twoChoices)));
      expect(answer.status).toBe(503);
      expect(errorOf(answer).error.code).toBe("backend_credentials_unavailable");
    });
  });
});

describe("Exchange: the response", () => {
  const completion = {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o",
    choices: [
      { index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };

  it("translates a complete response, decodes gzip, and counts the route's costs", async () => {
    const { gateway } = setUp(
      routeConfig([modelRule("gpt-4o", [backend("openai")])], {
        llmRequestCosts: [
          { metadataKey: "llm_total_token", type: "TotalToken" },
          { metadataKey: "weighted", type: "CEL", cel: "input_tokens + output_tokens * uint(3)" },
        ],
      }),
    );
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    const headers = { "content-type": "application/json", "content-encoding": "gzip" };
    expect(exchange.planResponse(200, headers)).toEqual({ kind: "buffer" });
    const translated = exchange.translateBody(200, headers, gzipSync(json(completion)));
    expect(JSON.parse(text(translated.body))).toEqual(completion);
    expect(translated.headers.remove).toContain("content-encoding");
    expect(translated.headers.set["content-length"]).toBe(String(translated.body.length));
    expect(exchange.finish()).toMatchObject({
      route: "default/route",
      backend: "default/openai",
      model: "gpt-4o",
      modelNamedByRule: true,
      status: 200,
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      costs: { llm_total_token: 15, weighted: 25 },
      fallbacks: [],
    });
  });

  it("refuses an answer that decodes to more than it may hold", async () => {
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [backend("openai")])]));
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    const headers = { "content-type": "application/json", "content-encoding": "gzip" };
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1, " "));
    const translated = exchange.translateBody(200, headers, bomb);
    expect(translated.status).toBe(502);
    expect(JSON.parse(text(translated.body)).error.message).toBe(
      "backend default/openai sent a response the gateway cannot read: its gzip body decodes to more than 64 MiB",
    );
  });

  it("tells a model the rule names from one it matched by pattern", async () => {
    const byPattern = {
      ...modelRule("gpt-4o", [backend("openai")]),
      matches: [
        {
          headers: [{ type: "RegularExpression" as const, name: "x-ai-eg-model", value: "gpt-.*" }],
        },
      ],
    };
    const { gateway } = setUp(routeConfig([byPattern]));
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    exchange.planResponse(200, {});
    expect(exchange.finish()).toMatchObject({ model: "gpt-4o", modelNamedByRule: false });
  });

  it("switches a stream to streaming, and translates it chunk by chunk", async () => {
    const { gateway, clock } = setUp(routeConfig([modelRule("gpt-4o", [backend("openai")])]));
    const exchange = expectExchange(
      await gateway.begin(ROUTE_KEY, request({ ...chat, stream: true })),
    );
    const plan = exchange.planResponse(200, {
      "content-type": "text/event-stream",
      "content-length": "100",
    });
    expect(plan.kind).toBe("stream");
    if (plan.kind === "stream") expect(plan.headers.remove).toContain("content-length");
    clock.ms += 40;
    const first = exchange.pushChunk(
      new TextEncoder().encode('data: {"choices":[{"delta":{"content":"he"}}]}\n\n'),
    );
    expect(text(first)).toContain('"he"');
    exchange.endStream();
    expect(exchange.finish()).toMatchObject({ stream: true, timeToFirstTokenMs: 40 });
  });

  it("asks for a fallback on a 5xx or 429 while another backend is left, not after", async () => {
    const { gateway } = setUp(
      routeConfig([modelRule("gpt-4o", [backend("a"), backend("b", { priority: 1 })])]),
    );
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(exchange.planResponse(429, {})).toEqual({ kind: "fallback" });
    expect(gateway.health.isCoolingDown("default/a")).toBe(true);

    const { gateway: single } = setUp(routeConfig([modelRule("gpt-4o", [backend("a")])]));
    const alone = expectExchange(await single.begin(ROUTE_KEY, request(chat)));
    expect(alone.planResponse(503, {})).toEqual({ kind: "buffer" });
  });

  it("reads a stream's error answer whole, and passes on the provider's error in OpenAI's shape", async () => {
    const { gateway } = setUp(
      routeConfig([
        modelRule("gpt-4o", [
          backend("bedrock", { schema: { name: "AWSBedrock" }, auth: undefined }),
        ]),
      ]),
    );
    const exchange = expectExchange(
      await gateway.begin(ROUTE_KEY, request({ ...chat, stream: true })),
    );
    const headers = { "content-type": "application/json" };
    expect(exchange.planResponse(400, headers)).toEqual({ kind: "buffer" });
    const error = { message: "The model returned the following errors: bad input" };
    const translated = exchange.translateBody(400, headers, json(error));
    expect(translated.status).toBe(400);
    expect(JSON.parse(text(translated.body)).error.message).toBe(error.message);
  });
});

/** `a` failed; `b`, the next one, is served by `handler`. */
async function fallingBackTo(handler: FakeHandler) {
  const server = await startFakeServer(handler);
  const port = Number(new URL(server.url).port);
  const setup = setUp(
    routeConfig([
      modelRule("gpt-4o", [
        backend("a"),
        backend("b", { priority: 1, endpoint: { hostname: "127.0.0.1", port, tls: false } }),
      ]),
    ]),
  );
  const exchange = expectExchange(await setup.gateway.begin(ROUTE_KEY, request(chat)));
  expect(exchange.planResponse(500, {})).toEqual({ kind: "fallback" });
  return { ...setup, server, exchange };
}

describe("Exchange.fallBack: the gateway sends to the next backend itself", () => {
  const upstream = new UpstreamClient();
  afterAll(() => upstream.close());

  it("returns the next backend's translated answer, and says which backends failed", async () => {
    const { server, exchange } = await fallingBackTo((received, response) =>
      sendJSON(response, 200, {
        id: "chatcmpl-2",
        object: "chat.completion",
        created: 2,
        model: "gpt-4o",
        choices: [
          { index: 0, message: { role: "assistant", content: "from b" }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
    );
    try {
      const answer = fellBack(await exchange.fallBack(upstream));
      expect(answer.status).toBe(200);
      expect(JSON.parse(text(answer.body)).choices[0].message.content).toBe("from b");
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0].url).toBe("/v1/chat/completions");
      expect(server.requests[0].headers.authorization).toBe("Bearer sk-b");
      expect(server.requests[0].headers["x-ai-eg-backend"]).toBe("default/b");
      expect(exchange.finish()).toMatchObject({
        backend: "default/b",
        fallbacks: ["default/a"],
        status: 200,
        usage: { totalTokens: 5 },
      });
    } finally {
      await server.close();
    }
  });

  it("answers with the last failure when every backend fails", async () => {
    const server = await startFakeServer((received, response) =>
      sendJSON(response, 503, { error: { message: "overloaded", type: "server_error" } }),
    );
    try {
      const port = Number(new URL(server.url).port);
      const local = { hostname: "127.0.0.1", port, tls: false };
      const { gateway } = setUp(
        routeConfig([
          modelRule("gpt-4o", [
            backend("a"),
            backend("b", { priority: 1, endpoint: local }),
            backend("c", { priority: 2, endpoint: { hostname: "127.0.0.1", port: 9, tls: false } }),
          ]),
        ]),
      );
      const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
      exchange.planResponse(500, {});
      const answer = fellBack(await exchange.fallBack(upstream));
      // As `run` answers for a backend it cannot reach.
      expect(answer.status).toBe(502);
      expect(JSON.parse(text(answer.body)).error).toMatchObject({
        message: "backend default/c did not answer: connect ECONNREFUSED 127.0.0.1:9",
        code: "upstream_unreachable",
      });
      expect(exchange.finish().fallbacks).toEqual(["default/a", "default/b"]);
    } finally {
      await server.close();
    }
  });
});

describe("Exchange.fallBack: no other backend can take the request", () => {
  it("leaves the failed backend's answer standing, with no fallback reported", async () => {
    const anthropic = backend("anthropic", { schema: { name: "Anthropic" }, priority: 1 });
    const { gateway } = setUp(routeConfig([modelRule("gpt-4o", [backend("openai"), anthropic])]));
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request({ ...chat, n: 2 })));
    expect(exchange.planResponse(503, {})).toEqual({ kind: "fallback" });
    const upstream = new UpstreamClient();
    try {
      expect(await exchange.fallBack(upstream)).toBeUndefined();
    } finally {
      await upstream.close();
    }
    const translated = exchange.translateBody(503, {}, json({ error: { message: "overloaded" } }));
    expect(translated.status).toBe(503);
    expect(exchange.finish()).toMatchObject({
      backend: "default/openai",
      status: 503,
      fallbacks: [],
    });
  });
});

describe("Exchange.fallBack: the last backend's refusal", () => {
  const upstream = new UpstreamClient();
  afterAll(() => upstream.close());

  it("passes on the headers that say when to try again", async () => {
    const { server, exchange } = await fallingBackTo((received, response) => {
      response.writeHead(429, {
        "content-type": "application/json",
        "retry-after": "7",
        "x-ratelimit-remaining-requests": "0",
        "x-internal-trace": "not for the client",
      });
      response.end(JSON.stringify({ error: { message: "slow down", type: "rate_limit_error" } }));
    });
    try {
      const answer = fellBack(await exchange.fallBack(upstream));
      expect(answer.status).toBe(429);
      expect(answer.headers).toMatchObject({
        "retry-after": "7",
        "x-ratelimit-remaining-requests": "0",
      });
      expect(answer.headers["x-internal-trace"]).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe("Exchange.fallBack: when the next backend does not answer", () => {
  const upstream = new UpstreamClient();
  afterAll(() => upstream.close());

  it("answers 502 naming the backend that dropped the connection halfway through its body", async () => {
    const { server, exchange, gateway } = await fallingBackTo((received, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      response.write('{"id":"chatcmpl-');
      setTimeout(() => response.socket?.destroy(), 5);
    });
    try {
      const answer = fellBack(await exchange.fallBack(upstream));
      expect(answer.status).toBe(502);
      expect(JSON.parse(text(answer.body)).error).toEqual({
        message: "backend default/b did not answer: other side closed",
        type: "api_error",
        param: null,
        code: "upstream_unreachable",
      });
      expect(gateway.health.isCoolingDown("default/b")).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("stops when the client goes away, blaming no backend", async () => {
    const { server, exchange, gateway } = await fallingBackTo(() => {});
    try {
      const client = new Cancellation();
      const answering = exchange.fallBack(upstream, client);
      // Gone while b has the request.
      await eventually(async () => server.requests.length === 1 || undefined);
      client.cancel(new Error("the client went away"));
      const answer = fellBack(await answering);
      expect(answer.status).toBe(499);
      expect(gateway.health.isCoolingDown("default/b")).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe("Gateway: token usage for a route that charges tokens", () => {
  it("asks a stream for its usage when the route has costs, and only then", async () => {
    const costs = [{ metadataKey: "llm_total_token", type: "TotalToken" as const }];
    const stream = { ...chat, stream: true };
    const charged = setUp(
      routeConfig([modelRule("gpt-4o", [backend("a")])], { llmRequestCosts: costs }),
    );
    const { attempt } = expectExchange(await charged.gateway.begin(ROUTE_KEY, request(stream)));
    expect(JSON.parse(text(attempt.body)).stream_options).toEqual({ include_usage: true });

    const free = setUp(routeConfig([modelRule("gpt-4o", [backend("a")])]));
    const plain = expectExchange(await free.gateway.begin(ROUTE_KEY, request(stream)));
    expect(JSON.parse(text(plain.attempt.body)).stream_options).toBeUndefined();
  });
});

describe("Exchange: the rule's timeouts", () => {
  /** A rule of two backends with `timeouts`; the gateway's fallback budget is its 60 s default. */
  const withTimeouts = (timeouts: RuleConfig["timeouts"]) =>
    setUp(
      routeConfig([
        { ...modelRule("gpt-4o", [backend("a"), backend("b", { priority: 1 })]), timeouts },
      ]),
    );

  const backendTimeout = (ms: number) => ({
    ms,
    exceeded: `no answer within the rule's backend request timeout (${ms / 1000} s)`,
    backendAtFault: true,
  });
  const requestTimeout = (ms: number, ruleMs: number) => ({
    ms,
    exceeded: `no answer within the rule's request timeout (${ruleMs / 1000} s)`,
    backendAtFault: false,
  });

  it("gives each attempt the backend request timeout, within what is left of the request's", async () => {
    const { gateway, clock } = withTimeouts({ requestMs: 1_000, backendRequestMs: 400 });
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(exchange.attemptLimit()).toEqual(backendTimeout(400));
    clock.ms += 600;
    expect(exchange.attemptLimit()).toEqual(backendTimeout(400));
    clock.ms += 100;
    expect(exchange.attemptLimit()).toEqual(requestTimeout(300, 1_000));
    clock.ms += 400;
    expect(exchange.attemptLimit()).toEqual(requestTimeout(1, 1_000));
  });

  it("names the limit the attempt started with when it runs out, not the one nearest by then", async () => {
    const { gateway, clock } = withTimeouts({ requestMs: 100, backendRequestMs: 30 });
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    clock.ms += 50;
    const deadline = exchange.attemptDeadline();
    // By the time the backend's 30 ms are up, less than that is left of the request's 100 ms.
    clock.ms += 45;
    await new Promise(resolve => deadline.onCancel(resolve));
    expect(deadline.failure(new Error("aborted"))).toEqual({
      reason: new Error("no answer within the rule's backend request timeout (0.03 s)"),
      backendAtFault: true,
    });
    deadline.clear();
  });

  it("blames the backend for its own timeout, not for the request's running out", async () => {
    const timedOut = async (timeouts: RuleConfig["timeouts"]) => {
      const { gateway } = withTimeouts(timeouts);
      const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
      const deadline = exchange.attemptDeadline();
      await new Promise(resolve => deadline.onCancel(resolve));
      const answer = exchange.attemptFailed(deadline.failure(new Error("aborted")));
      deadline.clear();
      return { answer, coolingDown: gateway.health.isCoolingDown("default/a") };
    };
    const own = await timedOut({ requestMs: 1_000, backendRequestMs: 10 });
    expect(own.coolingDown).toBe(true);
    const requests = await timedOut({ requestMs: 10 });
    expect(requests.coolingDown).toBe(false);
    // The client hears the same either way, naming the limit that ran out.
    for (const [{ answer }, limit] of [
      [own, "backend request timeout"],
      [requests, "request timeout"],
    ] as const) {
      expect(answer.status).toBe(502);
      expect(JSON.parse(text(answer.body)).error).toEqual({
        message: `backend default/a did not answer: no answer within the rule's ${limit} (0.01 s)`,
        type: "api_error",
        param: null,
        code: "upstream_unreachable",
      });
    }
  });

  it("bounds an attempt by the request timeout alone when the rule sets no backend timeout", async () => {
    const { gateway, clock } = withTimeouts({ requestMs: 2_000 });
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    clock.ms += 500;
    expect(exchange.attemptLimit()).toEqual(requestTimeout(1_500, 2_000));
  });

  it("sets no limit for a request timeout of 0s", async () => {
    const { gateway } = withTimeouts({ requestMs: 0 });
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    expect(exchange.attemptLimit().ms).toBe(Infinity);
  });

  it("bounds an answer needed whole by the fallback budget too, and names it when it is nearest", async () => {
    const { gateway, clock } = setUp(
      routeConfig([
        {
          ...modelRule("gpt-4o", [backend("a"), backend("b", { priority: 1 })]),
          timeouts: { requestMs: 30_000, backendRequestMs: 5_000 },
        },
      ]),
      { fallbackBudgetMs: 8_000 },
    );
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    // The budget counts from the first failure, however long the first backend took to fail.
    clock.ms += 9_000;
    expect(exchange.planResponse(503, {})).toEqual({ kind: "fallback" });
    expect(await exchange.advance()).toHaveProperty("attempt");
    clock.ms += 4_000;
    expect(exchange.attemptLimit(true)).toEqual({
      ms: 4_000,
      exceeded: "no answer within the gateway's fallback budget (8 s)",
      backendAtFault: false,
    });
    expect(exchange.attemptLimit()).toEqual(backendTimeout(5_000));
  });

  it("stops falling back when the request's time is up, even with fallback budget left", async () => {
    const { gateway, clock } = withTimeouts({ requestMs: 1_000 });
    const exchange = expectExchange(await gateway.begin(ROUTE_KEY, request(chat)));
    clock.ms += 999;
    expect(exchange.canAdvance()).toBe(true);
    clock.ms += 1;
    expect(exchange.canAdvance()).toBe(false);
    expect(exchange.planResponse(500, {})).toEqual({ kind: "buffer" });
  });
});
