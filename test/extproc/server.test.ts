/**
 * The ext_proc server on the wire: a gRPC client sends the message sequences Envoy sends for one
 * HTTP request, and every answer is checked as Envoy would apply it.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { BackendAuthRegistry } from "../../auth/registry";
import type { RouteConfig } from "../../contract/route-config";
import { ExtProcServer } from "../../extproc/server";
import { rootLogger } from "../../lib/logger";
import { Gateway } from "../../pipeline/gateway";
import type { RequestObserver } from "../../pipeline/observer";
import { RouteStore } from "../../pipeline/route-store";
import { UpstreamClient } from "../../pipeline/upstream-client";
import { FAKE_API_KEY, startFakeProvider, type FakeProvider } from "../support/fake-providers";
import { eventually, startFakeServer } from "../auth/support/fake-server";
import { backend, modelRule, routeConfig } from "../pipeline/fixtures";
import {
  connect,
  metadataOf,
  mutationOf,
  requestBody,
  requestHeaders,
  responseBody,
  responseHeaders,
} from "./support/envoy-client";

const CHAT = "/v1/chat/completions";
const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hello" }] };
/** Served by the Bedrock backend alone: which backend a test sees does not depend on the others. */
const claudeChat = { ...chat, model: "claude" };
const AWS_FILE = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n";

const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
};

describe("the ext_proc server", () => {
  let server: ExtProcServer;
  let envoy: ReturnType<typeof connect>;
  let routes: RouteStore;
  let spare: FakeProvider;
  const finished: Parameters<RequestObserver["finished"]>[0][] = [];
  const timings: Parameters<RequestObserver["finished"]>[1][] = [];
  const upstream = new UpstreamClient();

  const load = (config: RouteConfig) => routes.load(config, "test");

  beforeAll(async () => {
    spare = await startFakeProvider("openai");
    const auth = new BackendAuthRegistry();
    routes = new RouteStore(auth);
    const gateway = new Gateway({ routes, auth, random: () => 0 });
    server = new ExtProcServer({
      gateway,
      upstream,
      logger: rootLogger,
      observer: {
        finished: (summary, timing) => {
          finished.push(summary);
          timings.push(timing);
        },
      },
    });
    const [port] = await server.listen(["127.0.0.1:0"]);
    server.setServing(true);
    envoy = connect(`127.0.0.1:${port}`);
  });

  afterAll(async () => {
    envoy.close();
    await server.shutdown(1000);
    await upstream.close();
    await spare.close();
  });

  beforeEach(() => {
    finished.length = 0;
    timings.length = 0;
    load(
      routeConfig(
        [
          modelRule("gpt-4o", [
            backend("openai"),
            backend("spare", {
              priority: 1,
              endpoint: { hostname: spare.host, port: spare.port, tls: false },
              auth: { type: "APIKey", apiKey: FAKE_API_KEY },
            }),
          ]),
          modelRule("claude", [
            backend("bedrock", {
              schema: { name: "AWSBedrock" },
              endpoint: {
                hostname: "bedrock-runtime.us-east-1.amazonaws.com",
                port: 443,
                tls: true,
              },
              modelNameOverride: "anthropic.claude-3-5-sonnet-20240620-v1:0",
              auth: {
                type: "AWSCredentials",
                region: "us-east-1",
                credentialsFile: { content: AWS_FILE, profile: "default" },
              },
            }),
          ]),
        ],
        { llmRequestCosts: [{ metadataKey: "llm_total_token", type: "TotalToken" }] },
      ),
    );
  });

  it("serves a buffered OpenAI request: selects, authenticates, translates, charges tokens", async () => {
    const stream = envoy.open();
    const headers = await stream.send(
      requestHeaders(CHAT, { headers: { authorization: "Bearer client-key" } }),
    );
    expect(headers).toEqual({ response: "request_headers", request_headers: {} });

    const body = await stream.send(requestBody(chat));
    expect(body.response).toBe("request_body");
    expect(body.request_body?.response?.clear_route_cache).toBe(true);
    const mutation = mutationOf(body);
    expect(mutation.set).toMatchObject({
      ":path": "/v1/chat/completions",
      authorization: "Bearer sk-openai",
      "x-ai-eg-model": "gpt-4o",
      "x-ai-eg-backend": "default/openai",
    });
    expect(mutation.appendActions).toEqual(["OVERWRITE_IF_EXISTS_OR_ADD"]);
    const sent = body.request_body?.response?.body_mutation?.body;
    expect(JSON.parse(sent!.toString())).toEqual(chat);
    expect(mutation.set["content-length"]).toBe(String(sent!.length));

    const upstreamHeaders = await stream.send(
      responseHeaders(200, { "content-type": "application/json" }),
    );
    expect(mutationOf(upstreamHeaders).set).toEqual({ "x-ai-eg-backend": "default/openai" });
    expect(upstreamHeaders.mode_override).toBeUndefined();

    const answer = await stream.send(responseBody(JSON.stringify(completion)));
    expect(JSON.parse(answer.response_body!.response!.body_mutation!.body!.toString())).toEqual(
      completion,
    );
    expect(metadataOf(answer)).toEqual({
      llm_total_token: 10,
      ai_service_backend_name: "default/openai",
      model_name: "gpt-4o",
      route_name: "default/route",
    });
    stream.end();
    expect(await stream.closed).toBeUndefined();
    expect(finished).toEqual([
      expect.objectContaining({ backend: "default/openai", status: 200, fallbacks: [] }),
    ]);
  });

  it("streams a Bedrock answer: switches to streamed mode and translates event-stream frames", async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const frame = (type: string, payload: object) =>
      codec.encode({
        headers: {
          ":event-type": { type: "string", value: type },
          ":message-type": { type: "string", value: "event" },
          ":content-type": { type: "string", value: "application/json" },
        },
        body: fromUtf8(JSON.stringify(payload)),
      });
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    const body = await stream.send(requestBody({ ...chat, model: "claude", stream: true }));
    expect(mutationOf(body).set[":path"]).toBe(
      "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
    );
    expect(mutationOf(body).set.authorization).toMatch(/^AWS4-HMAC-SHA256 /);

    const switched = await stream.send(
      responseHeaders(200, {
        "content-type": "application/vnd.amazon.eventstream",
        "content-length": "999",
      }),
    );
    expect(switched.mode_override).toEqual({ response_body_mode: "STREAMED" });
    expect(mutationOf(switched).set["content-type"]).toBe("text/event-stream");
    expect(mutationOf(switched).remove).toContain("content-length");

    const start = frame("messageStart", { role: "assistant" });
    const delta = frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hel" } });
    const bytes = Buffer.concat([start, delta]);
    // A frame split across two chunks: nothing for the first part, the text once it is whole.
    const first = await stream.send(responseBody(bytes.subarray(0, start.length + 5), false));
    const second = await stream.send(responseBody(bytes.subarray(start.length + 5), false));
    const text = (response: typeof first) =>
      response.response_body?.response?.body_mutation?.body?.toString() ?? "";
    expect(text(first)).not.toContain("Hel");
    expect(text(second)).toContain('"content":"Hel"');

    const end = Buffer.concat([
      frame("messageStop", { stopReason: "end_turn" }),
      frame("metadata", { usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 } }),
    ]);
    const last = await stream.send(responseBody(end, true));
    expect(text(last)).toContain("data: [DONE]");
    expect(metadataOf(last)).toMatchObject({ llm_total_token: 7 });
    stream.end();
  });

  it("falls back to the next backend when the first answers 503, and says who served", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody(chat));
    const answer = await stream.send(responseHeaders(503, { "content-type": "application/json" }));
    const immediate = answer.immediate_response!;
    expect(immediate.status?.code).toBe("OK");
    const served = mutationOf({
      response_headers: { response: { header_mutation: immediate.headers } },
    });
    expect(served.set["x-ai-eg-backend"]).toBe("default/spare");
    expect(JSON.parse(immediate.body!.toString()).choices[0].message.content).toBe(
      "reply from openai to: hello",
    );
    expect(spare.requests.at(-1)?.headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);
    expect(finished).toEqual([
      expect.objectContaining({ backend: "default/spare", fallbacks: ["default/openai"] }),
    ]);
    stream.end();
  });

  it("passes on the failed backend's own answer when no other backend can express the request", async () => {
    const anthropic = backend("anthropic", { schema: { name: "Anthropic" }, priority: 1 });
    load(routeConfig([modelRule("gpt-4o", [backend("openai"), anthropic])]));
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody({ ...chat, n: 2 }));
    const headers = await stream.send(responseHeaders(503, { "content-type": "application/json" }));
    expect(headers.response).toBe("response_headers");
    expect(mutationOf(headers).set["x-ai-eg-backend"]).toBe("default/openai");
    const error = { error: { message: "overloaded", type: "server_error" } };
    const answer = await stream.send(responseBody(JSON.stringify(error)));
    const body = answer.response_body?.response?.body_mutation?.body?.toString() ?? "";
    expect(JSON.parse(body).error.message).toBe("overloaded");
    stream.end();
    expect(await stream.closed).toBeUndefined();
    expect(finished).toEqual([
      expect.objectContaining({ backend: "default/openai", status: 503, fallbacks: [] }),
    ]);
  });

  it("answers GET /v1/models at once", async () => {
    const stream = envoy.open();
    const answer = await stream.send(
      requestHeaders("/v1/models", { method: "GET", endOfStream: true }),
    );
    expect(
      JSON.parse(answer.immediate_response!.body!.toString()).data.map((m: { id: string }) => m.id),
    ).toEqual(["gpt-4o", "claude"]);
    stream.end();
    // Reported while its only message was handled: the processing time still counts that message.
    expect(finished).toHaveLength(1);
    expect(timings).toHaveLength(1);
    expect(timings[0].processingMs).toBeGreaterThan(0);
  });

  it("answers 503 in OpenAI's shape for a route it has no configuration for", async () => {
    const stream = envoy.open();
    const answer = await stream.send(
      requestHeaders(CHAT, { routeName: "httproute/default/unknown/rule/0/match/0/*" }),
    );
    expect(answer.immediate_response?.status?.code).toBe("ServiceUnavailable");
    expect(JSON.parse(answer.immediate_response!.body!.toString()).error.message).toBe(
      "the gateway has no configuration for route default/unknown yet; if this persists, check the AIGatewayRoute's status",
    );
    stream.end();
  });

  it("passes on, body included, an answer Envoy made itself before the request body", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    // Envoy's own 413 for a body over its buffer limit: the server never saw the body.
    expect(await stream.send(responseHeaders(413, { "content-type": "text/plain" }))).toEqual({
      response: "response_headers",
      response_headers: {},
    });
    expect(await stream.send(responseBody("Payload Too Large"))).toEqual({
      response: "response_body",
      response_body: {},
    });
    stream.end();
    expect(await stream.closed).toBeUndefined();
    expect(finished).toEqual([
      expect.objectContaining({
        route: "default/route",
        status: 413,
        errorType: "envoy_local_reply",
      }),
    ]);
  });

  it("answers a message out of sequence with a gRPC error, and keeps serving other streams", async () => {
    const stream = envoy.open();
    await expect(stream.send(responseBody("{}"))).rejects.toThrow(
      "got response_body while expecting request_headers",
    );
    expect(await stream.closed).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: "got response_body while expecting request_headers",
    });
    const next = envoy.open();
    expect((await next.send(requestHeaders(CHAT))).response).toBe("request_headers");
    next.end();
    await next.closed;
    expect(finished).toEqual([
      expect.objectContaining({ status: 500, errorType: "protocol_error" }),
      // Envoy ended the second stream before its body: a request that never got to its end.
      expect.objectContaining({ route: "default/route", status: 499, errorType: "cancelled" }),
    ]);
  });

  it("reports a protocol error after the backend was chosen as the gateway's 500, naming the backend", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody(claudeChat));
    await stream.send(responseHeaders(200, { "content-type": "application/json" }));
    const message =
      "the response body came in parts while buffered: the ext_proc filter's processingMode.response.body must be Buffered";
    await expect(stream.send(responseBody("{", false))).rejects.toThrow(message);
    expect(await stream.closed).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: message });
    expect(finished).toEqual([
      expect.objectContaining({
        backend: "default/bedrock",
        status: 500,
        errorType: "protocol_error",
      }),
    ]);
  });

  it("reports a request whose stream ends before its answer, with what it knew", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody(claudeChat));
    stream.end();
    await stream.closed;
    expect(finished).toEqual([
      expect.objectContaining({ backend: "default/bedrock", status: 499, errorType: "cancelled" }),
    ]);
  });

  it("reports a stream cut after the upstream's 200 as the client's 499, as `run` does", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody({ ...claudeChat, stream: true }));
    await stream.send(
      responseHeaders(200, { "content-type": "application/vnd.amazon.eventstream" }),
    );
    stream.end();
    await stream.closed;
    expect(finished).toEqual([
      expect.objectContaining({ backend: "default/bedrock", status: 499, errorType: "cancelled" }),
    ]);
  });

  it("reports a request reset during its fallback once, as the client's 499", async () => {
    let upstreamGone: () => void = () => {};
    const gone = new Promise<void>(resolve => (upstreamGone = resolve));
    const hung = await startFakeServer((received, response) => {
      response.on("close", upstreamGone);
    });
    try {
      const port = Number(new URL(hung.url).port);
      load(
        routeConfig([
          modelRule("gpt-4o", [
            // Named for this test alone: an earlier test's 503 left default/openai cooling down.
            backend("first"),
            backend("hung", { priority: 1, endpoint: { hostname: "127.0.0.1", port, tls: false } }),
          ]),
        ]),
      );
      const stream = envoy.open();
      await stream.send(requestHeaders(CHAT));
      await stream.send(requestBody(chat));
      stream.push(responseHeaders(503, { "content-type": "application/json" }));
      await eventually(async () => hung.requests.length === 1 || undefined);
      stream.cancel();
      await stream.closed;
      // The gateway aborts its upstream request before the upstream sees the connection close, and
      // the fallback returns within the turns after the abort: by the upstream's close, and a few
      // turns of the loop later, a second report would be there.
      await gone;
      await eventually(async () => finished.length > 0 || undefined);
      await new Promise(resolve => setTimeout(resolve, 20));
      expect(finished).toEqual([
        expect.objectContaining({ backend: "default/hung", status: 499, errorType: "cancelled" }),
      ]);
    } finally {
      await hung.close();
    }
  });

  it("never answers in observability mode", async () => {
    const stream = envoy.open();
    stream.push({ ...requestHeaders(CHAT), observability_mode: true });
    stream.end();
    expect(await stream.closed).toBeUndefined();
  });
});
