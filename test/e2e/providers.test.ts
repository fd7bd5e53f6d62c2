/**
 * End to end, every provider: the official OpenAI SDK talks to the proxy playing Envoy, which asks
 * the ext_proc server at each phase and sends the request where the server routed it, to a fake
 * provider that speaks the provider's own wire format and checks its credentials.
 */
import OpenAI from "openai";
import { NOT_FOUND_MESSAGE } from "../../builders/http-route";
import type { BackendConfig } from "../../contract/route-config";
import {
  DEFAULT_EMBEDDING_DIMENSIONS,
  FAKE_API_KEY,
  FAKE_AWS_CREDENTIALS,
  FAKE_BEARER_TOKEN,
  replyText,
  startFakeProvider,
  tokenCount,
  toolArguments,
  type FakeProvider,
  type FakeProviderKind,
} from "../support/fake-providers";
import { startGoogleTokenServer, type GoogleTokenServer } from "./support/google-token";
import { backends, modelRule, routeConfig, startStack, type Stack } from "./support/stack";
import { CHAT_MODELS, CLOUD_EMBEDDINGS, WEATHER_TOOL } from "../support/provider-cases";

/** The providers that cache where the client marks the prompt (`cache_control`). */
const CACHING_KINDS = new Set<FakeProviderKind>(["anthropic", "gcpanthropic", "awsbedrock"]);

/** OpenAI usage with the cache writes the gateway reports beside the reads. */
type UsageWithCacheWrites = OpenAI.CompletionUsage & {
  prompt_tokens_details?: { cache_creation_input_tokens?: number };
};

const COSTS = [
  { metadataKey: "llm_input_token", type: "InputToken" as const },
  { metadataKey: "llm_output_token", type: "OutputToken" as const },
  { metadataKey: "llm_total_token", type: "TotalToken" as const },
  { metadataKey: "llm_cache_write_token", type: "CacheCreationInputToken" as const },
  { metadataKey: "weighted", type: "CEL" as const, cel: "input_tokens + output_tokens * 3u" },
];

describe("the gateway end to end, per provider", () => {
  let stack: Stack;
  let google: GoogleTokenServer;
  let client: OpenAI;
  const fakes = new Map<FakeProviderKind, FakeProvider>();

  beforeAll(async () => {
    [stack, google] = await Promise.all([
      startStack(),
      startGoogleTokenServer({ accessToken: FAKE_BEARER_TOKEN }),
    ]);
    await Promise.all(
      CHAT_MODELS.map(async ({ kind }) => fakes.set(kind, await startFakeProvider(kind))),
    );
    const fake = (kind: FakeProviderKind) => fakes.get(kind)!;
    /** The backend each kind of fake stands for, with its credentials. */
    const backendOf: Record<FakeProviderKind, () => BackendConfig> = {
      openai: () => backends.openai("openai", fake("openai"), FAKE_API_KEY),
      azureopenai: () => backends.azure("azure", fake("azureopenai"), FAKE_API_KEY),
      awsbedrock: () => backends.bedrock("bedrock", fake("awsbedrock"), FAKE_AWS_CREDENTIALS),
      gcpvertexai: () => backends.vertex("vertex", fake("gcpvertexai"), google),
      gcpanthropic: () => backends.gcpAnthropic("gcp-anthropic", fake("gcpanthropic"), google),
      anthropic: () => backends.anthropic("anthropic", fake("anthropic"), FAKE_API_KEY),
    };
    await stack.load(
      routeConfig(
        [
          ...CHAT_MODELS.map(({ model, kind, override }) =>
            modelRule(model, [
              { ...backendOf[kind](), ...(override ? { modelNameOverride: override } : {}) },
            ]),
          ),
          modelRule("text-embedding-3-small", [
            backends.openai("openai", fake("openai"), FAKE_API_KEY),
          ]),
          modelRule("azure-embedding", [
            backends.azure("azure", fake("azureopenai"), FAKE_API_KEY),
          ]),
          ...CLOUD_EMBEDDINGS.map(({ model, kind, override }) =>
            modelRule(model, [
              {
                ...(kind === "awsbedrock"
                  ? backends.bedrock(model, fake(kind), FAKE_AWS_CREDENTIALS)
                  : backends.vertex(model, fake(kind), google)),
                modelNameOverride: override,
              },
            ]),
          ),
        ],
        { llmRequestCosts: COSTS },
      ),
    );
    client = stack.client();
  });

  afterAll(async () => {
    await stack.close();
    await Promise.all([...fakes.values()].map(fake => fake.close()));
    await google.close();
  });

  afterEach(async () => {
    await stack.proxy.settled();
    // Every message of every request went by the protocol, as Envoy would have taken it.
    expect(stack.proxy.requests.flatMap(request => request.problems)).toEqual([]);
    stack.proxy.requests.length = 0;
    stack.finished.length = 0;
  });

  describe.each(CHAT_MODELS)("$model on $kind", ({ model, kind }) => {
    it("answers a chat completion, says who served, and charges its tokens", async () => {
      const { data, response } = await client.chat.completions
        .create({ model, messages: [{ role: "user", content: `hello ${kind}` }] })
        .withResponse();
      expect(data.choices[0].message.content).toBe(replyText(kind, `hello ${kind}`));
      expect(data.choices[0].finish_reason).toBe("stop");
      expect(response.status).toBe(200);
      const usage = data.usage!;
      expect(usage.total_tokens).toBeGreaterThan(0);

      const record = stack.proxy.last();
      expect(response.headers.get("x-ai-eg-backend")).toBe(record.backend);
      expect(record.upstreamURL).toContain(fakes.get(kind)!.url);
      expect(record.responseBodyMode).toBe("BUFFERED");
      expect(record.localReply).toBeUndefined();
      expect(record.metadata).toEqual({
        llm_input_token: usage.prompt_tokens,
        llm_output_token: usage.completion_tokens,
        llm_total_token: usage.total_tokens,
        llm_cache_write_token: 0,
        weighted: usage.prompt_tokens + usage.completion_tokens * 3,
        ai_service_backend_name: record.backend,
        model_name: model,
        route_name: "default/route",
      });
      expect(stack.finished).toEqual([
        expect.objectContaining({ backend: record.backend, status: 200, fallbacks: [] }),
      ]);
    });

    it("streams a chat completion, chunk by chunk, with usage at the end", async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: `stream it ${kind}` }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let usage: OpenAI.CompletionUsage | undefined;
      let chunks = 0;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(replyText(kind, `stream it ${kind}`));
      expect(finish).toBe("stop");
      expect(chunks).toBeGreaterThan(2);
      expect(usage?.total_tokens).toBeGreaterThan(0);

      const record = stack.proxy.last();
      expect(record.responseBodyMode).toBe("STREAMED");
      // One message per upstream write and a last empty one: the body really went in pieces.
      expect(record.responseBodyMessages).toBeGreaterThan(3);
      expect(record.metadata).toMatchObject({
        llm_input_token: usage!.prompt_tokens,
        llm_output_token: usage!.completion_tokens,
        llm_total_token: usage!.total_tokens,
      });
    });

    it("runs a tool call round: the call, then the tool's result back to the provider", async () => {
      const question = `please call a tool for ${kind}`;
      const first = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: question }],
        tools: [WEATHER_TOOL],
      });
      expect(first.choices[0].finish_reason).toBe("tool_calls");
      const call = first.choices[0].message.tool_calls![0];
      expect(call.type).toBe("function");
      if (call.type !== "function") return;
      expect(call.function.name).toBe("get_weather");
      expect(JSON.parse(call.function.arguments)).toEqual(toolArguments(question));

      const result = `sunny in ${kind} land`;
      const second = await client.chat.completions.create({
        model,
        messages: [
          { role: "user", content: question },
          first.choices[0].message,
          { role: "tool", tool_call_id: call.id, content: result },
        ],
        tools: [WEATHER_TOOL],
      });
      expect(second.choices[0].message.role).toBe("assistant");
      // The provider got the result, and the call it answers, in its own format.
      const sent = fakes.get(kind)!.requests.at(-1)!.rawBody.toString();
      expect(sent).toContain(result);
      expect(sent).toContain("get_weather");
    });

    it("streams a tool call", async () => {
      const question = `call a tool, streaming, for ${kind}`;
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: question }],
        tools: [WEATHER_TOOL],
        stream: true,
      });
      let name = "";
      let args = "";
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        for (const toolCall of chunk.choices[0]?.delta?.tool_calls ?? []) {
          name += toolCall.function?.name ?? "";
          args += toolCall.function?.arguments ?? "";
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(name).toBe("get_weather");
      expect(JSON.parse(args)).toEqual(toolArguments(question));
      expect(finish).toBe("tool_calls");
    });
  });

  describe.each(CHAT_MODELS.filter(({ kind }) => CACHING_KINDS.has(kind)))(
    "$model on $kind, with a prompt marked for caching",
    ({ model }) => {
      // The fakes write the prompt up to the last breakpoint to their cache: here, the system text.
      const rules = "You answer from the handbook, which is long. ".repeat(20);
      const messages = [
        { role: "system", content: rules, cache_control: { type: "ephemeral" } },
        { role: "user", content: "hello" },
      ] as OpenAI.Chat.Completions.ChatCompletionMessageParam[];

      it.each([false, true])(
        "reports the cache writes and charges them (stream: %s)",
        async stream => {
          let usage: UsageWithCacheWrites | undefined;
          if (stream) {
            const chunks = await client.chat.completions.create({
              model,
              messages,
              stream,
              stream_options: { include_usage: true },
            });
            for await (const chunk of chunks) usage = chunk.usage ?? usage;
          } else {
            usage = (await client.chat.completions.create({ model, messages })).usage;
          }
          const writes = tokenCount(rules);
          expect(usage?.prompt_tokens_details).toEqual({
            cached_tokens: 0,
            cache_creation_input_tokens: writes,
          });
          // The whole prompt (the fakes count the system text and the user text run together), the
          // writes in it.
          expect(usage!.prompt_tokens).toBe(tokenCount(`${rules}hello`));
          expect(stack.proxy.last().metadata).toMatchObject({
            llm_input_token: usage!.prompt_tokens,
            llm_cache_write_token: writes,
          });
        },
      );
    },
  );

  it.each([
    { model: "text-embedding-3-small", kind: "openai" as const, input: ["one", "two"] },
    { model: "azure-embedding", kind: "azureopenai" as const, input: ["one", "two"] },
    ...CLOUD_EMBEDDINGS,
  ])("embeds $model with $kind", async ({ model, kind, input }) => {
    // The SDK asks for base64 and decodes it: every backend's answer must come back as base64.
    const embeddings = await client.embeddings.create({ model, input });
    expect(embeddings.data.map(item => item.index)).toEqual(input.map((_, index) => index));
    for (const item of embeddings.data) {
      expect(item.embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 5);
    }
    expect(embeddings.usage.prompt_tokens).toBe(
      input.reduce((sum, text) => sum + tokenCount(text), 0),
    );
    expect(fakes.get(kind)!.requests.at(-1)!.call?.operation).toBe("embeddings");
    expect(stack.proxy.last().metadata).toMatchObject({
      llm_input_token: embeddings.usage.prompt_tokens,
      model_name: model,
    });
  });

  it("lists the route's models, answered by the gateway itself", async () => {
    const models = [];
    for await (const entry of client.models.list()) models.push(entry);
    expect(models.map(entry => entry.id)).toEqual([
      ...CHAT_MODELS.map(entry => entry.model),
      "text-embedding-3-small",
      "azure-embedding",
      ...CLOUD_EMBEDDINGS.map(entry => entry.model),
    ]);
    expect(models[0]).toMatchObject({ object: "model", owned_by: "E2E", created: 1735689600 });
    expect(stack.proxy.last().localReply).toBe("ext_proc");
  });

  it("answers Envoy's own 404 when the HTTPRoute has no rule for the selected backend", async () => {
    const saved = stack.proxy.backends;
    stack.proxy.backends = {};
    try {
      const error = await client.chat.completions
        .create({ model: "gpt-4o", messages: [{ role: "user", content: "anyone?" }] })
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      // Envoy's text/plain direct response reaches the client in OpenAI's error shape.
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
        message: NOT_FOUND_MESSAGE,
        type: "not_found_error",
      });
      expect(stack.proxy.last()).toMatchObject({
        envoyAnswer: "direct_response",
        responseBodyMode: "BUFFERED",
        status: 404,
      });
    } finally {
      stack.proxy.backends = saved;
    }
  });

  it("got each Vertex AI backend's token with its service-account key, once", () => {
    // Gemini, Anthropic on Vertex, and the Vertex embedding model's backend.
    expect(google.grants).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
  });
});
