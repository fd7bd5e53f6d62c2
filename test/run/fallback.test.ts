/**
 * Fallback in `ai-gateway run`: a rule with a priority-0 backend (Bedrock) and a priority-1 one
 * (OpenAI). When the first fails as providers and networks fail (an error status, a hang past the
 * request timeout, a connection dropped before or in the middle of the body), the client still gets
 * its answer from the second, streamed when it asked for a stream; a backend that cannot be
 * reached at all is answered with a 502 naming it.
 */
import { freePort } from "../support/free-port";
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
import type { RunningGateway } from "../../run/main";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";
import { clientOf, startGateway } from "./support/gateway";

/** The rule's timeout for each attempt: a hung backend is given up after this long. */
const BACKEND_REQUEST_TIMEOUT_MS = 300;

describe("ai-gateway run: fallback", () => {
  let gateway: RunningGateway;
  let bedrock: FakeProvider;
  let openai: FakeProvider;
  let client: OpenAI;
  let nowherePort = 0;

  beforeAll(async () => {
    [bedrock, openai] = await Promise.all([
      startFakeProvider("awsbedrock"),
      startFakeProvider("openai"),
    ]);
    nowherePort = await freePort();
    const nowhere = { ...openai, port: nowherePort };
    const dir = manifestFolder({
      "all.yaml": [
        ...backendManifests("bedrock", bedrock, "AWS_KEY"),
        ...backendManifests("openai", openai, "OPENAI_KEY"),
        ...backendManifests("nowhere", nowhere, "OPENAI_KEY"),
        routeManifest("route", [
          {
            model: "claude",
            backends: [
              { name: "bedrock", modelNameOverride: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
              { name: "openai", priority: 1 },
            ],
            timeouts: { backendRequest: `${BACKEND_REQUEST_TIMEOUT_MS}ms` },
          },
          { model: "unreachable", backends: [{ name: "nowhere" }] },
        ]),
      ],
    });
    gateway = await startGateway(
      { files: [dir], coolDownSeconds: 0 },
      {
        env: {
          AWS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
          AWS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
          OPENAI_KEY: FAKE_API_KEY,
        },
      },
    );
    client = clientOf(gateway);
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([bedrock?.close(), openai?.close()]);
  });

  beforeEach(() => {
    bedrock.setBehaviour("normal");
    openai.setBehaviour("normal");
  });

  const failures: Array<{ name: string; behaviour: FakeBehaviour }> = [
    { name: "a 500", behaviour: { status: 500 } },
    { name: "a 429", behaviour: { status: 429 } },
    { name: "a hang past the request timeout", behaviour: "hang" },
    { name: "a dropped connection", behaviour: "drop" },
    { name: "a connection dropped mid-body", behaviour: "dropMidStream" },
  ];

  it.each(failures)(
    "answers from the second backend when the first fails with $name",
    async ({ behaviour }) => {
      bedrock.setBehaviour(behaviour, { times: 1 });
      const before = bedrock.requests.length;
      const { data, response } = await client.chat.completions
        .create({ model: "claude", messages: [{ role: "user", content: "are you there?" }] })
        .withResponse();
      expect(data.choices[0].message.content).toBe(replyText("openai", "are you there?"));
      expect(response.headers.get("x-ai-eg-backend")).toBe("default/openai");
      expect(bedrock.requests.length).toBe(before + 1);
    },
  );

  it.each(failures.filter(failure => failure.behaviour !== "dropMidStream"))(
    "streams the second backend's answer when the first fails with $name",
    async ({ behaviour }) => {
      bedrock.setBehaviour(behaviour, { times: 1 });
      const stream = await client.chat.completions.create({
        model: "claude",
        messages: [{ role: "user", content: "stream please" }],
        stream: true,
      });
      let text = "";
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      expect(text).toBe(replyText("openai", "stream please"));
      expect(chunks).toBeGreaterThan(2);
    },
  );

  it("cuts the client's stream when the backend drops it halfway: what was sent cannot be taken back", async () => {
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
  });

  it("gives the client the last backend's error, in OpenAI's shape, when every backend fails", async () => {
    bedrock.setBehaviour({ status: 503 }, { times: 1 });
    openai.setBehaviour({ status: 500, message: "openai is down for maintenance" }, { times: 1 });
    const error = await client.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "anyone?" }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown as InstanceType<typeof OpenAI.APIError>,
      );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error!.error).toMatchObject({
      message: "openai is down for maintenance",
      type: "server_error",
    });
  });

  it("answers 502 in OpenAI's shape, naming the backend, when it cannot be reached", async () => {
    const error = await client.chat.completions
      .create({ model: "unreachable", messages: [{ role: "user", content: "hello?" }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown as InstanceType<typeof OpenAI.APIError>,
      );
    expect(error?.status).toBe(502);
    expect(error!.error).toMatchObject({
      message: `backend default/nowhere did not answer: connect ECONNREFUSED 127.0.0.1:${nowherePort}`,
      type: "api_error",
      code: "upstream_unreachable",
    });
  });

  it("gives up the upstream request when the client goes away", async () => {
    bedrock.setBehaviour("hang", { times: 1 });
    const before = { bedrock: bedrock.requests.length, openai: openai.requests.length };
    const abort = new AbortController();
    const asked = client.chat.completions.create(
      { model: "claude", messages: [{ role: "user", content: "never mind" }] },
      { signal: abort.signal },
    );
    await eventually(async () => (bedrock.requests.length > before.bedrock ? true : undefined));
    abort.abort();
    await expect(asked).rejects.toThrow(OpenAI.APIUserAbortError);
    // Well past the attempt's timeout: had the gateway kept waiting, it would have fallen back.
    await new Promise(resolve => setTimeout(resolve, BACKEND_REQUEST_TIMEOUT_MS + 200));
    expect(openai.requests.length).toBe(before.openai);
  });
});
