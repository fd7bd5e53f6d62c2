/**
 * Fallback end to end: a rule with a priority-0 backend (Bedrock) and a priority-1 one (OpenAI).
 * When the first fails as providers and networks fail (an error status, a hang past the route's
 * timeout, a dropped connection), the client still gets an answer, from the second, through the
 * OpenAI SDK; and the next request skips the failed backend while it cools down.
 */
import OpenAI from "openai";
import {
  FAKE_API_KEY,
  FAKE_AWS_CREDENTIALS,
  replyText,
  startFakeProvider,
  type FakeBehaviour,
  type FakeProvider,
} from "../support/fake-providers";
import { eventually } from "../auth/support/fake-server";
import { backends, modelRule, routeConfig, startStack, type Stack } from "./support/stack";

/** The proxy's route timeout: a hung backend is given up after this long. */
const ROUTE_TIMEOUT_MS = 300;

describe("fallback end to end", () => {
  let stack: Stack;
  let bedrock: FakeProvider;
  let openai: FakeProvider;
  let client: OpenAI;

  beforeAll(async () => {
    [stack, bedrock, openai] = await Promise.all([
      startStack({ proxy: { requestTimeoutMs: ROUTE_TIMEOUT_MS } }),
      startFakeProvider("awsbedrock"),
      startFakeProvider("openai"),
    ]);
    await stack.load(
      routeConfig(
        [
          modelRule("claude", [
            backends.bedrock("bedrock", bedrock, FAKE_AWS_CREDENTIALS),
            { ...backends.openai("openai", openai, FAKE_API_KEY), priority: 1 },
          ]),
          modelRule("gpt-then-claude", [
            backends.openai("openai", openai, FAKE_API_KEY),
            { ...backends.bedrock("bedrock", bedrock, FAKE_AWS_CREDENTIALS), priority: 1 },
          ]),
        ],
        { llmRequestCosts: [{ metadataKey: "llm_total_token", type: "TotalToken" }] },
      ),
    );
    client = stack.client();
  });

  afterAll(async () => {
    await stack.close();
    await Promise.all([bedrock.close(), openai.close()]);
  });

  beforeEach(() => {
    // Each test starts with healthy backends: no cool-down left over from the one before.
    stack.gateway.health.recordSuccess("default/bedrock");
    stack.gateway.health.recordSuccess("default/openai");
    bedrock.setBehaviour("normal");
    openai.setBehaviour("normal");
  });

  afterEach(async () => {
    await stack.proxy.settled();
    expect(stack.proxy.requests.flatMap(request => request.problems)).toEqual([]);
    stack.proxy.requests.length = 0;
    stack.finished.length = 0;
  });

  const ask = (content: string, model = "claude") =>
    client.chat.completions.create({ model, messages: [{ role: "user", content }] }).withResponse();

  const failures: Array<{ name: string; behaviour: FakeBehaviour; envoy?: string }> = [
    { name: "a 500", behaviour: { status: 500 } },
    { name: "a 429", behaviour: { status: 429 } },
    { name: "a hang past the route timeout", behaviour: "hang", envoy: "upstream_timeout" },
    { name: "a dropped connection", behaviour: "drop", envoy: "upstream_reset" },
  ];

  it.each(failures)(
    "answers from the second backend when the first fails with $name, then skips the first",
    async ({ behaviour, envoy }) => {
      bedrock.setBehaviour(behaviour, { times: 1 });
      const before = bedrock.requests.length;
      const started = performance.now();
      const { data, response } = await ask("are you there?");
      expect(data.choices[0].message.content).toBe(replyText("openai", "are you there?"));
      expect(response.headers.get("x-ai-eg-backend")).toBe("default/openai");
      expect(bedrock.requests.length).toBe(before + 1);
      // Envoy sent the request to Bedrock; the gateway sent the fallback itself.
      const record = stack.proxy.last();
      expect(record.backend).toBe("default/bedrock");
      expect(record.envoyAnswer).toBe(envoy);
      expect(record.localReply).toBe("ext_proc");
      if (behaviour === "hang") {
        expect(performance.now() - started).toBeGreaterThanOrEqual(ROUTE_TIMEOUT_MS - 5);
      }
      expect(stack.finished).toEqual([
        expect.objectContaining({
          backend: "default/openai",
          fallbacks: ["default/bedrock"],
          status: 200,
        }),
      ]);

      // Right after, Bedrock is cooling down: Envoy is sent straight to OpenAI.
      const next = await ask("still there?");
      expect(next.data.choices[0].message.content).toBe(replyText("openai", "still there?"));
      expect(next.response.headers.get("x-ai-eg-backend")).toBe("default/openai");
      expect(bedrock.requests.length).toBe(before + 1);
      expect(stack.proxy.last()).toMatchObject({ backend: "default/openai" });
      expect(stack.proxy.last().localReply).toBeUndefined();
    },
  );

  it("gives the client the last backend's error, in OpenAI's shape, when every backend fails", async () => {
    bedrock.setBehaviour({ status: 503 }, { times: 1 });
    openai.setBehaviour({ status: 500, message: "openai is down for maintenance" }, { times: 1 });
    const error = await ask("anyone?").then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(500);
    expect(apiError.message).toContain("openai is down for maintenance");
    expect(apiError.error).toMatchObject({
      message: "openai is down for maintenance",
      type: "server_error",
    });
    expect(stack.finished).toEqual([
      expect.objectContaining({ fallbacks: ["default/bedrock"], status: 500 }),
    ]);
  });

  it("falls back for a streaming request too", async () => {
    bedrock.setBehaviour({ status: 500 }, { times: 1 });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(replyText("openai", "stream please"));
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(stack.proxy.last().metadata).toMatchObject({
      ai_service_backend_name: "default/openai",
      llm_total_token: usage?.total_tokens,
    });
  });

  it("falls back to a Bedrock backend, signing the request the gateway sends itself", async () => {
    openai.setBehaviour({ status: 503 }, { times: 1 });
    const { data, response } = await ask("sign this", "gpt-then-claude");
    expect(response.headers.get("x-ai-eg-backend")).toBe("default/bedrock");
    expect(data.choices[0].message.content).toBe(replyText("awsbedrock", "sign this"));
  });

  it("cuts the client's stream when the backend drops it halfway, as Envoy resets it", async () => {
    bedrock.setBehaviour("dropMidStream", { times: 1 });
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "a long story please" }],
      stream: true,
    });
    const read = (async () => {
      for await (const chunk of stream) void chunk;
    })();
    await expect(read).rejects.toThrow();
    expect(stack.proxy.last()).toMatchObject({ backend: "default/bedrock", localReply: "reset" });
  });

  it("gives up the upstream and the ext_proc stream when the client goes away", async () => {
    bedrock.setBehaviour("hang", { times: 1 });
    const before = { bedrock: bedrock.requests.length, openai: openai.requests.length };
    const abort = new AbortController();
    const asked = client.chat.completions.create(
      { model: "claude", messages: [{ role: "user", content: "never mind" }] },
      { signal: abort.signal },
    );
    await eventually(async () => (bedrock.requests.length > before.bedrock ? true : undefined));
    const started = performance.now();
    abort.abort();
    await expect(asked).rejects.toThrow(OpenAI.APIUserAbortError);
    const record = stack.proxy.last();
    await record.done;
    // Over before the route timeout would have fired, and nothing fell back to OpenAI.
    expect(performance.now() - started).toBeLessThan(ROUTE_TIMEOUT_MS);
    expect(record.status).toBeUndefined();
    expect(record.envoyAnswer).toBeUndefined();
    expect(openai.requests.length).toBe(before.openai);
  });
});
