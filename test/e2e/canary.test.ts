/**
 * Credentials never leak, end to end. Every credential of the route (API keys, an AWS secret, a
 * service-account key and the token it buys, an OIDC client secret) is a unique canary string; the
 * requests succeed and fail in every way a client can make them fail, and no canary appears in the
 * logs, in anything the client gets, in the dynamic metadata or in the request summaries. The
 * client's own credentials never reach a provider.
 */
import OpenAI from "openai";
import { captureLogs } from "../auth/support/log-capture";
import { startFakeIssuer, type FakeIssuer } from "../auth/support/fake-idp";
import { startFakeProvider, type FakeProvider } from "../support/fake-providers";
import { startGoogleTokenServer, type GoogleTokenServer } from "./support/google-token";
import { backends, modelRule, routeConfig, startStack, type Stack } from "./support/stack";

const CANARY = {
  openaiKey: "sk-canary-openai-3f9a1c7e",
  wrongKey: "sk-canary-wrong-key-8d2e4b",
  azureKey: "canary-azure-key-6b0f2a91",
  anthropicKey: "sk-ant-canary-anthropic-c41d",
  awsSecret: "canary/aws/secret/Zq81Lm02Xe77",
  gcpToken: "ya29.canary-gcp-token-51ee0c",
  gcpKeyId: "canary-gcp-private-key-id-9a7",
  oidcSecret: "canary-oidc-client-secret-2b6d",
};
/** What the client itself sends as credentials: for the gateway, not for any provider. */
const CLIENT = {
  authorization: "sk-canary-client-bearer-0e5a",
  apiKey: "canary-client-api-key-header-77c",
  xApiKey: "canary-client-x-api-key-header-4d1",
};
const AWS_ACCESS_KEY_ID = "AKIDCANARYTEST0001";

describe("credentials never leak", () => {
  let logs: ReturnType<typeof captureLogs>;
  let stack: Stack;
  let google: GoogleTokenServer;
  let issuer: FakeIssuer;
  let openai: FakeProvider;
  const fakes: FakeProvider[] = [];
  /** Every response the client got: status, headers and body, as text. */
  const seen: Promise<string>[] = [];
  let client: OpenAI;
  /** A piece of the service-account private key: the key file is a credential too. */
  let privateKeyPiece = "";

  beforeAll(async () => {
    logs = captureLogs();
    [stack, google, issuer] = await Promise.all([
      startStack(),
      startGoogleTokenServer({ accessToken: CANARY.gcpToken, privateKeyId: CANARY.gcpKeyId }),
      // Its failures echo the client secret, as careless servers do.
      startFakeIssuer("gateway-client", CANARY.oidcSecret),
    ]);
    issuer.mode = "fail";
    privateKeyPiece = (
      JSON.parse(google.serviceAccountJSON) as { private_key: string }
    ).private_key.split("\n")[3];
    const [azure, bedrock, gemini, anthropic] = await Promise.all([
      startFakeProvider("azureopenai", { apiKey: CANARY.azureKey }),
      startFakeProvider("awsbedrock", {
        aws: {
          accessKeyId: AWS_ACCESS_KEY_ID,
          secretAccessKey: CANARY.awsSecret,
          region: "us-east-1",
        },
      }),
      startFakeProvider("gcpvertexai", { bearerToken: CANARY.gcpToken }),
      startFakeProvider("anthropic", { apiKey: CANARY.anthropicKey }),
    ]);
    openai = await startFakeProvider("openai", { apiKey: CANARY.openaiKey });
    fakes.push(openai, azure, bedrock, gemini, anthropic);
    const oidcBackend = {
      ...backends.bedrock("bedrock-oidc", bedrock, {
        accessKeyId: AWS_ACCESS_KEY_ID,
        secretAccessKey: CANARY.awsSecret,
      }),
      auth: {
        type: "AWSCredentials" as const,
        region: "us-east-1",
        oidcExchangeToken: {
          oidc: {
            issuer: issuer.server.url,
            clientID: "gateway-client",
            clientSecret: CANARY.oidcSecret,
          },
          awsRoleArn: "arn:aws:iam::123456789012:role/gateway",
        },
        stsEndpoint: issuer.server.url,
      },
    };
    await stack.load(
      routeConfig(
        [
          modelRule("gpt-4o", [backends.openai("openai", openai, CANARY.openaiKey)]),
          modelRule("gpt-wrong-key", [backends.openai("openai-wrong", openai, CANARY.wrongKey)]),
          modelRule("azure-gpt", [backends.azure("azure", azure, CANARY.azureKey)]),
          modelRule("claude-bedrock", [
            backends.bedrock("bedrock", bedrock, {
              accessKeyId: AWS_ACCESS_KEY_ID,
              secretAccessKey: CANARY.awsSecret,
            }),
          ]),
          modelRule("claude-oidc", [oidcBackend]),
          modelRule("gemini", [backends.vertex("vertex", gemini, google)]),
          modelRule("claude", [backends.anthropic("anthropic", anthropic, CANARY.anthropicKey)]),
        ],
        { llmRequestCosts: [{ metadataKey: "llm_total_token", type: "TotalToken" }] },
      ),
    );
    client = new OpenAI({
      baseURL: `${stack.proxy.url}/v1`,
      apiKey: CLIENT.authorization,
      defaultHeaders: { "api-key": CLIENT.apiKey, "x-api-key": CLIENT.xApiKey },
      maxRetries: 0,
      timeout: 10_000,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        const copy = response.clone();
        seen.push(
          copy
            .text()
            .then(
              body => `${copy.status} ${JSON.stringify(Object.fromEntries(copy.headers))} ${body}`,
            ),
        );
        return response;
      },
    });
  });

  afterAll(async () => {
    logs.stop();
    await stack.close();
    await Promise.all([...fakes.map(fake => fake.close()), google.close(), issuer.server.close()]);
  });

  const chat = (model: string, content = `hello ${model}`) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content }] });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error("expected the request to fail");
      },
      (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
    );

  it("serves every provider with its credentials", async () => {
    for (const model of ["gpt-4o", "azure-gpt", "claude-bedrock", "gemini", "claude"]) {
      const completion = await chat(model);
      expect(completion.choices[0].message.content).toContain(`hello ${model}`);
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "stream" }],
        stream: true,
      });
      for await (const chunk of stream) void chunk;
    }
    const models = await client.models.list();
    expect(models.data).toHaveLength(7);
  });

  it("answers errors without credentials in them", async () => {
    const unknown = await failure(chat("no-such-model"));
    expect(unknown.status).toBe(404);

    const wrongKey = await failure(chat("gpt-wrong-key"));
    expect(wrongKey.status).toBe(401);
    // The provider said why, and the key it got appears nowhere.
    expect(wrongKey.message).toContain("Incorrect API key provided");

    openai.setBehaviour({ status: 500 }, { times: 1 });
    const providerError = await failure(chat("gpt-4o"));
    expect(providerError.status).toBe(500);

    // The OIDC issuer refuses the client secret, and echoes it back in its refusal.
    const noCredentials = await failure(chat("claude-oidc"));
    expect(noCredentials.status).toBe(503);
    expect(issuer.tokenRequests.length).toBeGreaterThan(0);

    const badBody = await fetch(`${stack.proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${CLIENT.authorization}`,
      },
      body: `{"model": "gpt-4o", "messages": [{"content": "cut short`,
    });
    expect(badBody.status).toBe(400);
  });

  it("leaks no canary into logs, client answers, metadata or summaries", async () => {
    await stack.proxy.settled();
    const answers = await Promise.all(seen);
    expect(answers.length).toBeGreaterThan(10);
    const places: Record<string, string> = {
      logs: logs.lines.join("\n"),
      answers: answers.join("\n"),
      metadata: JSON.stringify(stack.proxy.requests.map(request => request.dynamicMetadata)),
      summaries: JSON.stringify(stack.finished),
    };
    // The places were filled: a check on nothing would pass for the wrong reason.
    expect(stack.finished.length).toBe(stack.proxy.requests.length);
    expect(places.metadata).toContain("llm_total_token");
    expect(places.logs).toContain("bedrock-oidc");
    for (const [place, text] of Object.entries(places)) {
      for (const [name, canary] of Object.entries({ ...CANARY, privateKeyPiece, ...CLIENT })) {
        expect({ place, name, found: text.includes(canary) }).toEqual({
          place,
          name,
          found: false,
        });
      }
    }
    expect(stack.proxy.requests.flatMap(request => request.problems)).toEqual([]);
  });

  it("never sends the client's own credentials to a provider", () => {
    const received = fakes.flatMap(fake => fake.requests);
    expect(received.length).toBeGreaterThan(10);
    // The canaries are live: the backends' own credentials did travel, where they belong.
    expect(openai.requests[0].headers.authorization).toBe(`Bearer ${CANARY.openaiKey}`);
    for (const request of received) {
      const wire = `${JSON.stringify(request.headers)} ${request.url} ${request.rawBody.toString()}`;
      for (const [name, canary] of Object.entries(CLIENT)) {
        expect({ name, found: wire.includes(canary) }).toEqual({ name, found: false });
      }
    }
  });
});
