/**
 * `ai-gateway run` end to end, every provider: the official OpenAI SDK talks to the gateway, which
 * serves the routes of manifest files (credentials from the environment) and sends each request to
 * a fake provider that speaks the provider's own wire format and checks its credentials.
 */
import OpenAI from "openai";
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
import { startGoogleTokenServer, type GoogleTokenServer } from "../e2e/support/google-token";
import type { RunningGateway } from "../../run/main";
import { OVERHEAD_HEADER } from "../../run/http-server";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";
import { clientOf, startGateway } from "./support/gateway";
import { CHAT_MODELS, CLOUD_EMBEDDINGS, WEATHER_TOOL } from "../support/provider-cases";

describe("ai-gateway run, per provider", () => {
  let gateway: RunningGateway;
  let google: GoogleTokenServer;
  let client: OpenAI;
  const fakes = new Map<FakeProviderKind, FakeProvider>();

  beforeAll(async () => {
    google = await startGoogleTokenServer({ accessToken: FAKE_BEARER_TOKEN });
    await Promise.all(
      CHAT_MODELS.map(async ({ kind }) => fakes.set(kind, await startFakeProvider(kind))),
    );
    const dir = manifestFolder({
      "backends.yaml": CHAT_MODELS.flatMap(({ kind }) =>
        backendManifests(kind, fakes.get(kind)!, `KEY_${kind.toUpperCase()}`),
      ),
      "route.yaml": [
        routeManifest("route", [
          ...CHAT_MODELS.map(({ model, kind, override }) => ({
            model,
            backends: [{ name: kind, ...(override ? { modelNameOverride: override } : {}) }],
          })),
          { model: "text-embedding-3-small", backends: [{ name: "openai" }] },
          { model: "azure-embedding", backends: [{ name: "azureopenai" }] },
          ...CLOUD_EMBEDDINGS.map(({ model, kind, override }) => ({
            model,
            backends: [{ name: kind, modelNameOverride: override }],
          })),
        ]),
      ],
    });
    gateway = await startGateway(
      { files: [dir] },
      {
        env: {
          KEY_OPENAI: FAKE_API_KEY,
          KEY_AZUREOPENAI: FAKE_API_KEY,
          KEY_ANTHROPIC: FAKE_API_KEY,
          KEY_AWSBEDROCK_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
          KEY_AWSBEDROCK: FAKE_AWS_CREDENTIALS.secretAccessKey,
          KEY_GCPVERTEXAI: google.serviceAccountJSON,
          KEY_GCPANTHROPIC: google.serviceAccountJSON,
        },
      },
    );
    client = clientOf(gateway);
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([...fakes.values()].map(fake => fake.close()));
    await google?.close();
  });

  describe.each(CHAT_MODELS)("$model on $kind", ({ model, kind }) => {
    it("answers a chat completion and says who served and what the gateway added", async () => {
      const { data, response } = await client.chat.completions
        .create({ model, messages: [{ role: "user", content: `hello ${kind}` }] })
        .withResponse();
      expect(data.choices[0].message.content).toBe(replyText(kind, `hello ${kind}`));
      expect(data.choices[0].finish_reason).toBe("stop");
      expect(data.usage!.total_tokens).toBeGreaterThan(0);
      expect(response.headers.get("x-ai-eg-backend")).toBe(`default/${kind}`);
      expect(Number(response.headers.get(OVERHEAD_HEADER))).toBeGreaterThan(0);
      // The provider got its own credentials, never the client's.
      const sent = fakes.get(kind)!.requests.at(-1)!;
      expect(JSON.stringify(sent.headers)).not.toContain("sk-client-own-key");
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
      if (call.type !== "function") throw new Error("expected a function call");
      expect(call.function.name).toBe("get_weather");
      expect(JSON.parse(call.function.arguments)).toEqual(toolArguments(question));
      const result = `sunny in ${kind} land`;
      await client.chat.completions.create({
        model,
        messages: [
          { role: "user", content: question },
          first.choices[0].message,
          { role: "tool", tool_call_id: call.id, content: result },
        ],
        tools: [WEATHER_TOOL],
      });
      const sent = fakes.get(kind)!.requests.at(-1)!.rawBody.toString();
      expect(sent).toContain(result);
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
      for await (const chunk of stream) {
        for (const toolCall of chunk.choices[0]?.delta?.tool_calls ?? []) {
          name += toolCall.function?.name ?? "";
          args += toolCall.function?.arguments ?? "";
        }
      }
      expect(name).toBe("get_weather");
      expect(JSON.parse(args)).toEqual(toolArguments(question));
    });
  });

  it.each([
    { model: "text-embedding-3-small", kind: "openai" as const },
    { model: "azure-embedding", kind: "azureopenai" as const },
  ])("embeds with $kind", async ({ model, kind }) => {
    const embeddings = await client.embeddings.create({ model, input: ["one", "two"] });
    expect(embeddings.data.map(item => item.index)).toEqual([0, 1]);
    for (const item of embeddings.data) {
      expect(item.embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    }
    expect(embeddings.usage.prompt_tokens).toBe(tokenCount("one") + tokenCount("two"));
    expect(fakes.get(kind)!.requests.at(-1)!.call?.operation).toBe("embeddings");
  });

  it.each(CLOUD_EMBEDDINGS)(
    "embeds with $override on $kind, extra fields passed through",
    async ({ model, kind, input, extra, sent }) => {
      // The SDK asks for base64 and decodes it: the gateway must write base64 float32.
      const embeddings = await client.embeddings.create({ model, input, ...extra });
      expect(embeddings.model).toBe(model);
      expect(embeddings.data.map(item => item.index)).toEqual(input.map((_, index) => index));
      for (const item of embeddings.data) {
        expect(item.embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
        expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 5);
      }
      // Cohere's body has no count: this one comes from Bedrock's response header.
      expect(embeddings.usage.prompt_tokens).toBe(
        input.reduce((sum, text) => sum + tokenCount(text), 0),
      );
      const received = fakes.get(kind)!.requests.at(-1)!;
      expect(received.call?.operation).toBe("embeddings");
      expect(received.body).toEqual(sent);
    },
  );

  it("answers several texts for Titan with a 400 naming the limit, before any upstream call", async () => {
    const before = fakes.get("awsbedrock")!.requests.length;
    const error = await client.embeddings
      .create({ model: "titan-embedding", input: ["one", "two"] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
      "Amazon Titan Text Embeddings v2 takes one text per request",
    );
    expect(fakes.get("awsbedrock")!.requests.length).toBe(before);
  });

  it("completes a legacy completion", async () => {
    const completion = await client.completions.create({ model: "gpt-4o", prompt: "say hi" });
    expect(completion.choices[0].text).toBe(replyText("openai", "say hi"));
  });

  it("lists the route's models, answered by the gateway itself", async () => {
    const models = [];
    for await (const entry of client.models.list()) models.push(entry.id);
    expect(models).toEqual([
      ...CHAT_MODELS.map(entry => entry.model),
      "text-embedding-3-small",
      "azure-embedding",
      ...CLOUD_EMBEDDINGS.map(entry => entry.model),
    ]);
  });

  it("answers a model no rule serves with OpenAI's 404", async () => {
    const error = await client.chat.completions
      .create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      message: "the model `no-such-model` does not exist or is not served by this gateway",
      code: "model_not_found",
    });
  });

  it("answers a body that is not JSON with OpenAI's 400", async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"model": "gpt-4o", "messages": [`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
    });
  });

  it("serves the ext_proc server's metrics on /metrics", async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/metrics`);
    const text = await response.text();
    expect(text).toContain(
      'gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",backend="default/openai",route="default/route",error_type=""}',
    );
    expect(text).toContain("aigw_extproc_processing_seconds_bucket");
  });
});
