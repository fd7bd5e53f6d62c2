/**
 * The fake providers speak each provider's real wire format: the official SDKs, pointed at them,
 * parse their answers and streams; and each failure behaviour looks on the wire as intended.
 */
import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { GoogleGenAI } from "@google/genai";
import { createParser } from "eventsource-parser";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { OAuth2Client } from "google-auth-library";
import OpenAI, { AzureOpenAI } from "openai";
import {
  DEFAULT_EMBEDDING_DIMENSIONS,
  FAKE_API_KEY,
  FAKE_AWS_CREDENTIALS,
  FAKE_BEARER_TOKEN,
  startFakeProvider,
  tokenCount,
  type FakeProvider,
  type FakeProviderKind,
  type FakeProviderOptions,
} from "./fake-providers";

const running: FakeProvider[] = [];

async function start(kind: FakeProviderKind, options?: FakeProviderOptions) {
  const fake = await startFakeProvider(kind, options);
  running.push(fake);
  return fake;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map(fake => fake.close()));
});

const VERTEX_PREFIX = "/v1/projects/test-project/locations/us-central1/publishers";
const BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const WEATHER_TOOL = {
  name: "get_weather",
  description: "The weather in a city",
  schema: { type: "object", properties: { city: { type: "string" } } },
};

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Reads a response body, counting the reads the bytes took to arrive. */
async function readAll(response: Response): Promise<{ text: string; reads: number }> {
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), reads: chunks.length };
}

/** The `data` of each server-sent event, read with a real SSE parser. */
function sseEvents(text: string): { event?: string; data: string }[] {
  const events: { event?: string; data: string }[] = [];
  const parser = createParser({ onEvent: ({ event, data }) => events.push({ event, data }) });
  parser.feed(text);
  return events;
}

const vertexAuthClient = () => {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: FAKE_BEARER_TOKEN, expiry_date: Date.now() + 3_600_000 });
  return client;
};

const bedrockClient = (fake: FakeProvider, credentials = FAKE_AWS_CREDENTIALS) =>
  new BedrockRuntimeClient({
    region: FAKE_AWS_CREDENTIALS.region,
    endpoint: fake.url,
    credentials,
    maxAttempts: 1,
    // The fakes serve HTTP/1.1, which Bedrock serves too; the SDK would otherwise stream over HTTP/2.
    requestHandler: new NodeHttpHandler(),
  });

describe("openai", () => {
  const client = (fake: FakeProvider, apiKey = FAKE_API_KEY) =>
    new OpenAI({ apiKey, baseURL: `${fake.url}/v1`, maxRetries: 0 });

  it("answers a chat completion the SDK parses, and records the request", async () => {
    const fake = await start("openai");
    const completion = await client(fake).chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(completion.choices[0].message.content).toBe("reply from openai to: hello there");
    expect(completion.choices[0].finish_reason).toBe("stop");
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "gpt-4o" },
      call: { operation: "chat", model: "gpt-4o", stream: false },
    });
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);
  });

  it("streams chunks and a final usage chunk, in several writes", async () => {
    const fake = await start("openai");
    const stream = await client(fake).chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "stream it" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(content).toBe("reply from openai to: stream it");
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const raw = await post(
      `${fake.url}/v1/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream: true },
      { authorization: `Bearer ${FAKE_API_KEY}` },
    );
    expect(raw.headers.get("content-type")).toBe("text/event-stream");
    const { text, reads } = await readAll(raw);
    expect(reads).toBeGreaterThan(2);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain('"usage"');
  });

  it("calls a tool when asked and offered one", async () => {
    const fake = await start("openai");
    const completion = await client(fake).chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "please call a tool" }],
      tools: [
        {
          type: "function",
          function: { name: WEATHER_TOOL.name, parameters: WEATHER_TOOL.schema },
        },
      ],
    });
    const call = completion.choices[0].message.tool_calls![0];
    expect(completion.choices[0].finish_reason).toBe("tool_calls");
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      request: "please call a tool",
    });
  });

  it("answers embeddings (base64 and float) and legacy completions", async () => {
    const fake = await start("openai");
    const embedded = await client(fake).embeddings.create({
      model: "text-embedding-3-small",
      input: ["one", "two"],
    });
    expect(embedded.data).toHaveLength(2);
    expect(embedded.data[0].embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    // The SDK asks for base64 and decodes it; the float answer must carry the same numbers.
    const floats = await post(
      `${fake.url}/v1/embeddings`,
      { model: "text-embedding-3-small", input: "one" },
      { authorization: `Bearer ${FAKE_API_KEY}` },
    );
    expect(await floats.json()).toMatchObject({
      data: [{ embedding: embedded.data[0].embedding }],
    });

    const completion = await client(fake).completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "say this",
    });
    expect(completion.choices[0].text).toBe("reply from openai to: say this");
    const streamed = await client(fake).completions.create({
      model: "gpt-3.5-turbo-instruct",
      prompt: "stream this",
      stream: true,
    });
    let text = "";
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("reply from openai to: stream this");
  });

  it("rejects a wrong key and an unknown path in OpenAI's error shape", async () => {
    const fake = await start("openai");
    await expect(
      client(fake, "sk-wrong").chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "x" }],
      }),
    ).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const notFound = await post(`${fake.url}/v1/chat/complete`, {});
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({
      error: { message: "Invalid URL (POST /v1/chat/complete)", type: "invalid_request_error" },
    });
  });
});

describe("azureopenai", () => {
  const client = (fake: FakeProvider) =>
    new AzureOpenAI({
      endpoint: fake.url,
      apiKey: FAKE_API_KEY,
      apiVersion: "2024-10-21",
      deployment: "my-gpt4o",
      maxRetries: 0,
    });

  it("answers a deployment's chat completion and stream", async () => {
    const fake = await start("azureopenai");
    const completion = await client(fake).chat.completions.create({
      model: "ignored",
      messages: [{ role: "user", content: "hello azure" }],
    });
    expect(completion.choices[0].message.content).toBe("reply from azureopenai to: hello azure");
    expect(fake.requests[0].url).toBe(
      "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
    );
    expect(fake.requests[0].headers["api-key"]).toBe(FAKE_API_KEY);

    const stream = await client(fake).chat.completions.create({
      model: "ignored",
      messages: [{ role: "user", content: "stream azure" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      content += chunk.choices[0]?.delta.content ?? "";
    }
    expect(content).toBe("reply from azureopenai to: stream azure");
    expect(chunks).toBeGreaterThan(4);
  });

  it("takes an Entra ID bearer token, embeds, and needs an api-version", async () => {
    const fake = await start("azureopenai");
    const embedded = await client(fake).embeddings.create({ model: "ignored", input: "x" });
    expect(embedded.data[0].embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    const withToken = await post(
      `${fake.url}/openai/deployments/d/chat/completions?api-version=2024-10-21`,
      { messages: [{ role: "user", content: "t" }] },
      { authorization: `Bearer ${FAKE_BEARER_TOKEN}` },
    );
    expect(withToken.status).toBe(200);
    const noVersion = await post(`${fake.url}/openai/deployments/d/chat/completions`, {});
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({
      error: { code: "404", message: "Resource not found" },
    });
    const wrongKey = await post(
      `${fake.url}/openai/deployments/d/chat/completions?api-version=2024-10-21`,
      { messages: [] },
      { "api-key": "wrong" },
    );
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.json()).toMatchObject({ error: { code: "401" } });
  });
});

describe("anthropic", () => {
  const client = (fake: FakeProvider, apiKey = FAKE_API_KEY) =>
    new Anthropic({ apiKey, baseURL: fake.url, maxRetries: 0 });

  it("answers a message and a stream the SDK parses", async () => {
    const fake = await start("anthropic");
    const message = await client(fake).messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello claude" }],
    });
    expect(message.content[0]).toMatchObject({
      type: "text",
      text: "reply from anthropic to: hello claude",
    });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);

    const stream = client(fake).messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "please call a tool" }],
      tools: [{ name: WEATHER_TOOL.name, input_schema: WEATHER_TOOL.schema as never }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[1]).toMatchObject({
      type: "tool_use",
      name: "get_weather",
      input: { request: "please call a tool" },
    });
  });

  it("rejects a wrong key and a missing anthropic-version in Anthropic's error shape", async () => {
    const fake = await start("anthropic");
    await expect(
      client(fake, "wrong").messages.create({
        model: "m",
        max_tokens: 1,
        messages: [{ role: "user", content: "x" }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const noVersion = await post(
      `${fake.url}/v1/messages`,
      { model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] },
      { "x-api-key": FAKE_API_KEY },
    );
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "anthropic-version: header is required" },
    });
  });
});

describe("gcpanthropic", () => {
  const path = (method: string) =>
    `${VERTEX_PREFIX}/anthropic/models/claude-sonnet-4-5@20250929:${method}`;
  const body = (content: string, stream?: boolean) => ({
    anthropic_version: "vertex-2023-10-16",
    max_tokens: 100,
    messages: [{ role: "user", content }],
    ...(stream ? { stream } : {}),
  });
  const auth = { authorization: `Bearer ${FAKE_BEARER_TOKEN}` };

  it("answers rawPredict and streamRawPredict", async () => {
    const fake = await start("gcpanthropic");
    const answer = await post(`${fake.url}${path("rawPredict")}`, body("hi vertex"), auth);
    expect(await answer.json()).toMatchObject({
      type: "message",
      model: "claude-sonnet-4-5@20250929",
      content: [{ type: "text", text: "reply from gcpanthropic to: hi vertex" }],
      stop_reason: "end_turn",
    });

    const streamed = await post(`${fake.url}${path("streamRawPredict")}`, body("s", true), auth);
    const { text, reads } = await readAll(streamed);
    expect(reads).toBeGreaterThan(2);
    const events = sseEvents(text);
    expect(events.map(e => e.event)).toEqual(
      expect.arrayContaining(["message_start", "content_block_delta", "message_stop"]),
    );
    const reply = events
      .filter(e => e.event === "content_block_delta")
      .map(e => JSON.parse(e.data).delta.text)
      .join("");
    expect(reply).toBe("reply from gcpanthropic to: s");
  });

  it("answers auth failures and unknown paths in Google's shape", async () => {
    const fake = await start("gcpanthropic");
    const denied = await post(`${fake.url}${path("rawPredict")}`, body("x"), {
      authorization: "Bearer nope",
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
    const unknown = await post(`${fake.url}${path("predict")}`, body("x"), auth);
    expect(await unknown.json()).toMatchObject({ error: { status: "NOT_FOUND" } });
    const noVersion = await post(`${fake.url}${path("rawPredict")}`, { max_tokens: 1 }, auth);
    expect(await noVersion.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "anthropic_version: Field required" },
    });
  });
});

describe("gcpvertexai", () => {
  const client = (fake: FakeProvider) =>
    new GoogleGenAI({
      vertexai: true,
      project: "test-project",
      location: "us-central1",
      // The SDK's own dispatcher does not reach the server from inside jest's sandbox; plain fetch does.
      httpOptions: {
        baseUrl: fake.url,
        apiVersion: "v1",
        fetch: (input, init) => fetch(input, init),
      },
      googleAuthOptions: { authClient: vertexAuthClient() },
    });

  it("answers generateContent and an SSE stream the SDK parses", async () => {
    const fake = await start("gcpvertexai");
    const response = await client(fake).models.generateContent({
      model: "gemini-2.5-flash",
      contents: "hello gemini",
    });
    expect(response.text).toBe("reply from gcpvertexai to: hello gemini");
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(fake.requests[0].url).toBe(
      `${VERTEX_PREFIX}/google/models/gemini-2.5-flash:generateContent`,
    );
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${FAKE_BEARER_TOKEN}`);

    let text = "";
    let slices = 0;
    const stream = await client(fake).models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "stream gemini",
    });
    for await (const slice of stream) {
      slices++;
      text += slice.text ?? "";
    }
    expect(text).toBe("reply from gcpvertexai to: stream gemini");
    expect(slices).toBeGreaterThan(2);
    expect(fake.requests[1].url).toContain(":streamGenerateContent?alt=sse");

    // Without alt=sse the REST API streams one JSON array, element by element.
    const array = await post(
      `${fake.url}${VERTEX_PREFIX}/google/models/gemini-2.5-flash:streamGenerateContent`,
      { contents: [{ role: "user", parts: [{ text: "array" }] }] },
      { authorization: `Bearer ${FAKE_BEARER_TOKEN}` },
    );
    const { text: arrayText, reads } = await readAll(array);
    expect(reads).toBeGreaterThan(2);
    const elements = JSON.parse(arrayText) as { candidates: { finishReason?: string }[] }[];
    expect(elements.at(-1)?.candidates[0].finishReason).toBe("STOP");
  });

  it("calls a function when asked, and answers a wrong token with a Google 401", async () => {
    const fake = await start("gcpvertexai");
    const response = await client(fake).models.generateContent({
      model: "gemini-2.5-flash",
      contents: "call a tool now",
      config: {
        tools: [
          {
            functionDeclarations: [
              { name: WEATHER_TOOL.name, parametersJsonSchema: WEATHER_TOOL.schema },
            ],
          },
        ],
      },
    });
    expect(response.functionCalls?.[0]).toMatchObject({
      name: "get_weather",
      args: { request: "call a tool now" },
    });
    const denied = await post(`${fake.url}${VERTEX_PREFIX}/google/models/g:generateContent`, {
      contents: [{ role: "user", parts: [{ text: "x" }] }],
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { status: "UNAUTHENTICATED" } });
  });
  it("answers :predict of a text embedding model as the SDK's embedContent reads it", async () => {
    const fake = await start("gcpvertexai");
    const response = await client(fake).models.embedContent({
      model: "text-embedding-005",
      contents: ["one", "two"],
      config: { taskType: "RETRIEVAL_DOCUMENT", outputDimensionality: 4 },
    });
    expect(fake.requests[0].url).toBe(`${VERTEX_PREFIX}/google/models/text-embedding-005:predict`);
    expect(fake.requests[0].call?.operation).toBe("embeddings");
    expect(fake.requests[0].body).toEqual({
      instances: [
        { content: "one", task_type: "RETRIEVAL_DOCUMENT" },
        { content: "two", task_type: "RETRIEVAL_DOCUMENT" },
      ],
      parameters: { outputDimensionality: 4 },
    });
    expect(response.embeddings).toHaveLength(2);
    expect(response.embeddings![0].values).toHaveLength(4);
    expect(response.embeddings!.map(embedding => embedding.statistics?.tokenCount)).toEqual([
      tokenCount("one"),
      tokenCount("two"),
    ]);
  });
});

describe("awsbedrock", () => {
  it("answers Converse and ConverseStream signed by the SDK", async () => {
    const fake = await start("awsbedrock");
    const client = bedrockClient(fake);
    const answer = await client.send(
      new ConverseCommand({
        modelId: BEDROCK_MODEL,
        messages: [{ role: "user", content: [{ text: "hello bedrock" }] }],
      }),
    );
    expect(answer.output?.message?.content?.[0].text).toBe(
      "reply from awsbedrock to: hello bedrock",
    );
    expect(answer.usage?.totalTokens).toBeGreaterThan(0);
    expect(fake.requests[0].url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`);
    expect(fake.requests[0].call?.model).toBe(BEDROCK_MODEL);

    const streamed = await client.send(
      new ConverseStreamCommand({
        modelId: BEDROCK_MODEL,
        messages: [{ role: "user", content: [{ text: "please call a tool" }] }],
        toolConfig: {
          tools: [
            { toolSpec: { name: WEATHER_TOOL.name, inputSchema: { json: WEATHER_TOOL.schema } } },
          ],
        },
      }),
    );
    let text = "";
    let toolInput = "";
    const kinds: string[] = [];
    for await (const event of streamed.stream!) {
      kinds.push(Object.keys(event)[0]);
      text += event.contentBlockDelta?.delta?.text ?? "";
      toolInput += event.contentBlockDelta?.delta?.toolUse?.input ?? "";
    }
    expect(text).toBe("Calling get_weather.");
    expect(JSON.parse(toolInput)).toEqual({ request: "please call a tool" });
    expect(kinds[0]).toBe("messageStart");
    expect(kinds.slice(-2)).toEqual(["messageStop", "metadata"]);
  });

  it("answers InvokeModel of Titan and Cohere embedding models signed by the SDK", async () => {
    const fake = await start("awsbedrock");
    const invoke = async (modelId: string, body: unknown) => {
      const output = await bedrockClient(fake).send(
        new InvokeModelCommand({
          modelId,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify(body),
        }),
      );
      return { body: JSON.parse(new TextDecoder().decode(output.body)) };
    };
    const titan = await invoke("amazon.titan-embed-text-v2:0", {
      inputText: "a cat",
      dimensions: 4,
    });
    expect(titan.body.embedding).toHaveLength(4);
    expect(titan.body.inputTextTokenCount).toBe(tokenCount("a cat"));
    expect(fake.requests[0].url).toBe("/model/amazon.titan-embed-text-v2%3A0/invoke");
    expect(fake.requests[0].call).toEqual({
      operation: "embeddings",
      model: "amazon.titan-embed-text-v2:0",
      stream: false,
    });

    const cohere = await invoke("cohere.embed-english-v3", {
      texts: ["one", "two"],
      input_type: "search_document",
      embedding_types: ["float"],
    });
    expect(cohere.body).toMatchObject({
      response_type: "embeddings_by_type",
      texts: ["one", "two"],
    });
    expect(cohere.body.embeddings.float).toHaveLength(2);
    expect(cohere.body.embeddings.float[0]).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);

    await expect(invoke("cohere.embed-english-v3", { texts: ["x"] })).rejects.toMatchObject({
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("counts an InvokeModel call's input tokens in a response header", async () => {
    const fake = await start("awsbedrock", { checkAuth: false });
    const answer = await post(`${fake.url}/model/cohere.embed-v4%3A0/invoke`, {
      texts: ["one two three"],
      input_type: "search_query",
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-amzn-bedrock-input-token-count")).toBe(
      String(tokenCount("one two three")),
    );
    expect(await answer.json()).toMatchObject({ response_type: "embeddings_floats" });
  });

  it("rejects bad signatures with Bedrock's exceptions", async () => {
    const fake = await start("awsbedrock");
    const send = (credentials: typeof FAKE_AWS_CREDENTIALS) =>
      bedrockClient(fake, credentials).send(
        new ConverseCommand({
          modelId: "m",
          messages: [{ role: "user", content: [{ text: "x" }] }],
        }),
      );
    await expect(send({ ...FAKE_AWS_CREDENTIALS, secretAccessKey: "wrong" })).rejects.toMatchObject(
      { name: "InvalidSignatureException", $metadata: { httpStatusCode: 403 } },
    );
    await expect(send({ ...FAKE_AWS_CREDENTIALS, accessKeyId: "AKIDOTHER" })).rejects.toMatchObject(
      {
        name: "UnrecognizedClientException",
      },
    );
    const unsigned = await post(`${fake.url}/model/m/converse`, { messages: [] });
    expect(unsigned.headers.get("x-amzn-errortype")).toMatch(
      /^MissingAuthenticationTokenException/,
    );
  });
});

describe("behaviours", () => {
  const chat = (fake: FakeProvider, stream = false) =>
    post(
      `${fake.url}/v1/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream },
      { authorization: `Bearer ${FAKE_API_KEY}` },
    );

  it("answers an error status in each provider's shape", async () => {
    const bedrock = await start("awsbedrock");
    bedrock.setBehaviour({ status: 429 });
    await expect(
      bedrockClient(bedrock).send(
        new ConverseCommand({
          modelId: "m",
          messages: [{ role: "user", content: [{ text: "x" }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });

    const openai = await start("openai");
    openai.setBehaviour({ status: 500 });
    const failed = await chat(openai);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { type: "server_error", code: null } });

    const gemini = await start("gcpvertexai", { checkAuth: false });
    gemini.setBehaviour({ status: 503 });
    const unavailable = await post(
      `${gemini.url}${VERTEX_PREFIX}/google/models/g:generateContent`,
      {
        contents: [{ role: "user", parts: [{ text: "x" }] }],
      },
    );
    expect(await unavailable.json()).toMatchObject({ error: { code: 503, status: "UNAVAILABLE" } });

    const anthropic = await start("anthropic");
    anthropic.setBehaviour({ status: 400, body: { custom: true }, headers: { "x-extra": "1" } });
    const custom = await post(`${anthropic.url}/v1/messages`, {}, { "x-api-key": FAKE_API_KEY });
    expect(custom.status).toBe(400);
    expect(custom.headers.get("x-extra")).toBe("1");
    expect(await custom.json()).toEqual({ custom: true });
    anthropic.setBehaviour({ status: 503, errorType: "overloaded_error" });
    await expect(
      new Anthropic({
        apiKey: FAKE_API_KEY,
        baseURL: anthropic.url,
        maxRetries: 0,
      }).messages.create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 503, error: { error: { type: "overloaded_error" } } });
  });

  it("applies a behaviour to the next N requests, then answers normally", async () => {
    const fake = await start("openai");
    fake.setBehaviour({ status: 429 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat(fake)).status);
    expect(statuses).toEqual([429, 429, 200]);
  });

  it("hangs, and drops the connection before or in the middle of an answer", async () => {
    const fake = await start("openai");
    fake.setBehaviour("hang", { times: 1 });
    await expect(
      fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${FAKE_API_KEY}` },
        body: "{}",
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow(/aborted|timeout/i);
    expect(fake.requests).toHaveLength(1);

    fake.setBehaviour("drop", { times: 1 });
    await expect(chat(fake)).rejects.toThrow("fetch failed");

    fake.setBehaviour("dropMidStream", { times: 2 });
    const cut = await chat(fake, true);
    expect(cut.status).toBe(200);
    const reader = cut.body!.getReader();
    let received = "";
    const readToEnd = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += Buffer.from(value).toString("utf8");
      }
    };
    await expect(readToEnd()).rejects.toThrow(/terminated/);
    expect(received).toContain("chat.completion.chunk");
    expect(received).not.toContain("[DONE]");
    const cutPlain = await chat(fake);
    await expect(cutPlain.text()).rejects.toThrow(/terminated/);

    const bedrock = await start("awsbedrock");
    bedrock.setBehaviour("dropMidStream");
    const streamed = await bedrockClient(bedrock).send(
      new ConverseStreamCommand({
        modelId: "m",
        messages: [{ role: "user", content: [{ text: "x" }] }],
      }),
    );
    const events: unknown[] = [];
    await expect(
      (async () => {
        for await (const event of streamed.stream!) events.push(event);
      })(),
    ).rejects.toThrow();
    expect(events.length).toBeGreaterThan(0);
  });

  it("gzips answers and streams", async () => {
    const fake = await start("openai");
    fake.setBehaviour("gzip");
    const zipped = await chat(fake);
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(await zipped.json()).toMatchObject({
      choices: [{ message: { content: "reply from openai to: hi" } }],
    });

    const anthropic = await start("anthropic", { chunkBytes: 64 });
    anthropic.setBehaviour("gzip");
    const message = await new Anthropic({ apiKey: FAKE_API_KEY, baseURL: anthropic.url }).messages
      .stream({ model: "m", max_tokens: 9, messages: [{ role: "user", content: "z" }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ text: "reply from anthropic to: z" });
  });

  it("sends garbage a client cannot parse", async () => {
    const fake = await start("openai");
    fake.setBehaviour("garbage");
    const garbage = await chat(fake);
    expect(garbage.status).toBe(200);
    expect(garbage.headers.get("content-type")).toBe("application/json");
    await expect(garbage.json()).rejects.toThrow(/JSON/);

    const bedrock = await start("awsbedrock");
    bedrock.setBehaviour("garbage");
    // The SDK reads the first frame before `send` resolves, so the bad checksum fails either.
    const readStream = async () => {
      const streamed = await bedrockClient(bedrock).send(
        new ConverseStreamCommand({
          modelId: "m",
          messages: [{ role: "user", content: [{ text: "x" }] }],
        }),
      );
      for await (const event of streamed.stream!) void event;
    };
    await expect(readStream()).rejects.toThrow(/checksum/i);
  });
});
