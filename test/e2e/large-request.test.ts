/**
 * Large requests end to end: a 1 MiB conversation goes through Envoy's buffer (raised for the
 * route by the generated BackendTrafficPolicy), the ext_proc server (which reads and translates the
 * whole body) and on to the provider, whole. Without that policy, Envoy's 32 KiB listener limit
 * answers 413 as the ext_proc filter buffers the body. Answers are buffered at the listener's limit,
 * which only the user's Gateway can raise: the README's ClientTrafficPolicy.
 */
import { bytesOfQuantity } from "../support/quantity";
import { DEFAULT_SETTINGS } from "../../controller/settings";
import {
  FAKE_API_KEY,
  FAKE_AWS_CREDENTIALS,
  replyText,
  startFakeProvider,
  type FakeProvider,
} from "../support/fake-providers";
import { ENVOY_DEFAULT_BUFFER_LIMIT } from "./support/envoy-proxy";
import { backends, modelRule, routeConfig, startStack, type Stack } from "./support/stack";

const MiB = 1024 * 1024;

/**
 * A long conversation: 1 MiB of earlier turns, then a short question (the fakes answer by echoing
 * the last user message, and a buffered answer over 32 KiB is a limit of its own).
 */
function longConversation(bytes: number) {
  const earlier = "The quick brown fox jumps over the lazy dog. ".repeat(Math.ceil(bytes / 45));
  return [
    { role: "user" as const, content: earlier.slice(0, bytes) },
    { role: "assistant" as const, content: "Noted." },
    { role: "user" as const, content: "Summarise the above." },
  ];
}

async function stackFor(
  openai: FakeProvider,
  bedrock: FakeProvider,
  options: Parameters<typeof startStack>[0],
): Promise<Stack> {
  const stack = await startStack(options);
  await stack.load(
    routeConfig([
      modelRule("gpt-4o", [backends.openai("openai", openai, FAKE_API_KEY)]),
      modelRule("claude", [backends.bedrock("bedrock", bedrock, FAKE_AWS_CREDENTIALS)]),
    ]),
  );
  return stack;
}

describe("a large request end to end", () => {
  let openai: FakeProvider;
  let bedrock: FakeProvider;

  beforeAll(async () => {
    [openai, bedrock] = await Promise.all([
      startFakeProvider("openai"),
      startFakeProvider("awsbedrock"),
    ]);
  });

  afterAll(async () => {
    await Promise.all([openai.close(), bedrock.close()]);
  });

  it("is within the request buffer the controller asks for by default", () => {
    expect(bytesOfQuantity(DEFAULT_SETTINGS.requestBufferLimit)).toBeGreaterThanOrEqual(2 * MiB);
  });

  describe("with the generated request buffer", () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await stackFor(openai, bedrock, {});
    });

    afterAll(async () => {
      await stack.close();
    });

    it.each([
      ["gpt-4o", "openai"],
      ["claude", "awsbedrock"],
    ] as const)("answers a 1 MiB chat request for %s, sent whole to %s", async (model, kind) => {
      const fake = kind === "openai" ? openai : bedrock;
      const before = fake.requests.length;
      const messages = longConversation(MiB);
      const completion = await stack.client().chat.completions.create({ model, messages });

      expect(completion.choices[0].message.content).toBe(replyText(kind, "Summarise the above."));
      const record = stack.proxy.last();
      expect(record.requestBytes).toBeGreaterThan(MiB);
      expect(record.status).toBe(200);
      expect(record.problems).toEqual([]);
      // The provider got the whole conversation, translated to its own format.
      expect(fake.requests.length).toBe(before + 1);
      const sent = fake.requests.at(-1)!.rawBody.toString("utf8");
      expect(sent).toContain(messages[0].content);
    });
  });

  describe("without it, at Envoy's default buffer limit", () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await stackFor(openai, bedrock, {
        proxy: { requestBufferFilter: false },
      });
    });

    afterAll(async () => {
      await stack.close();
    });

    it("gets Envoy's 413 for a request over 32 KiB, and the provider never sees it", async () => {
      const before = openai.requests.length;
      const call = stack.client().chat.completions.create({
        model: "gpt-4o",
        messages: longConversation(ENVOY_DEFAULT_BUFFER_LIMIT),
      });
      await expect(call).rejects.toMatchObject({ status: 413 });
      expect(stack.proxy.last()).toMatchObject({
        status: 413,
        localReply: "request_payload_too_large",
      });
      expect(openai.requests.length).toBe(before);
    });
  });

  describe("a long answer that is not streamed", () => {
    const question = [{ role: "user" as const, content: "x".repeat(40 * 1024) }];

    it("meets the listener's 32 KiB when nothing raises it: Envoy answers 500", async () => {
      const stack = await stackFor(openai, bedrock, {});
      try {
        // The fakes echo the question, so the answer is over 32 KiB too.
        const call = stack
          .client()
          .chat.completions.create({ model: "gpt-4o", messages: question });
        await expect(call).rejects.toMatchObject({ status: 500 });
        expect(stack.proxy.last().localReply).toBe("response_payload_too_large");
      } finally {
        await stack.close();
      }
    });

    it("gets through with the README's ClientTrafficPolicy (10Mi on the listener)", async () => {
      const stack = await stackFor(openai, bedrock, {
        proxy: { responseBufferLimitBytes: bytesOfQuantity("10Mi") },
      });
      try {
        const completion = await stack
          .client()
          .chat.completions.create({ model: "gpt-4o", messages: question });
        expect(completion.choices[0].message.content).toBe(
          replyText("openai", question[0].content),
        );
      } finally {
        await stack.close();
      }
    });
  });
});
