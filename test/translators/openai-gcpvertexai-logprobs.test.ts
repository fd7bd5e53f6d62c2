import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionTokenLogprob,
} from "openai/resources/chat/completions";
import type { TranslationError } from "../../translators/errors";
import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import type { BackendTarget } from "../../translators/types";
import { logprobsResponse, logprobsStreamEvents, vertexSse } from "./fixtures/openai-gcpvertexai";
import {
  bytesOf,
  everySplit,
  jsonOf,
  requestRejection,
  readWithOpenAISdk,
  respond,
  runStream,
  translateChatRequest,
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };
const request = {
  model: "gemini-2.5-flash",
  messages: [{ role: "user", content: "Hi" }],
  logprobs: true,
  top_logprobs: 1,
};

/** A token as OpenAI reports it, with its UTF-8 bytes and alternatives. */
function token(
  text: string,
  logprob: number,
  top: [string, number][] = [[text, logprob]],
): ChatCompletionTokenLogprob {
  const bytesOfToken = (t: string) => Array.from(new TextEncoder().encode(t));
  return {
    token: text,
    logprob,
    bytes: bytesOfToken(text),
    top_logprobs: top.map(([t, l]) => ({ token: t, logprob: l, bytes: bytesOfToken(t) })),
  };
}

function rejection(body: unknown): TranslationError {
  return requestRejection(createOpenAIToGCPVertexAI, backend, body);
}

describe("OpenAI → GCP Vertex AI (Gemini): logprobs", () => {
  it.each([
    [
      "top_logprobs without logprobs",
      { top_logprobs: 2, logprobs: undefined },
      "top_logprobs: set logprobs to true as well; Gemini returns alternatives only with the chosen tokens' log probabilities.",
    ],
    [
      "top_logprobs with logprobs false",
      { top_logprobs: 2, logprobs: false },
      "top_logprobs: set logprobs to true as well; Gemini returns alternatives only with the chosen tokens' log probabilities.",
    ],
    [
      "top_logprobs above 20",
      { top_logprobs: 21 },
      "top_logprobs: 21 is out of range; Gemini returns 0 to 20 alternatives per token.",
    ],
    [
      "a negative top_logprobs",
      { top_logprobs: -1 },
      "top_logprobs: -1 is out of range; Gemini returns 0 to 20 alternatives per token.",
    ],
  ])("rejects %s with a 400 naming top_logprobs", (_name, fields, message) => {
    const error = rejection({ ...request, ...fields });
    expect(error).toMatchObject({ status: 400, param: "top_logprobs", message });
    expect(jsonOf(error.toBody())).toEqual({
      error: { message, type: "invalid_request_error", param: "top_logprobs", code: null },
    });
  });

  it("maps logprobsResult to choices[].logprobs with bytes and top_logprobs", () => {
    const { translator } = translateChatRequest(createOpenAIToGCPVertexAI, backend, request);
    const body = jsonOf(respond(translator, 200, logprobsResponse).body) as ChatCompletion;
    const expected: ChatCompletion.Choice["logprobs"] = {
      content: [
        token("Ca", -0.1, [
          ["Ca", -0.1],
          ["Te", -2.5],
        ]),
        token("fé", -0.25, [
          ["fé", -0.25],
          ["fe", -1.5],
        ]),
        token("!", -0.05, [
          ["!", -0.05],
          [".", -3],
        ]),
      ],
      refusal: null,
    };
    expect(body.choices[0].logprobs).toEqual(expected);
    expect(body.choices[0].logprobs?.content?.[1].bytes).toEqual([102, 195, 169]);
    expect(body.choices[0].message.content).toBe("Café!");
  });

  it("gives a step without alternatives an empty top_logprobs", () => {
    const { translator } = translateChatRequest(createOpenAIToGCPVertexAI, backend, request);
    const candidate = logprobsResponse.candidates![0];
    const chosenOnly = {
      ...logprobsResponse,
      candidates: [
        {
          ...candidate,
          logprobsResult: { chosenCandidates: candidate.logprobsResult!.chosenCandidates },
        },
      ],
    };
    const body = jsonOf(respond(translator, 200, chosenOnly).body) as ChatCompletion;
    expect(body.choices[0].logprobs?.content?.map(t => t.top_logprobs)).toEqual([[], [], []]);
  });

  it("keeps logprobs null when Gemini sent none", () => {
    const { translator } = translateChatRequest(createOpenAIToGCPVertexAI, backend, request);
    const { logprobsResult: _, ...candidate } = logprobsResponse.candidates![0];
    const body = jsonOf(
      respond(translator, 200, { ...logprobsResponse, candidates: [candidate] }).body,
    ) as ChatCompletion;
    expect(body.choices[0].logprobs).toBeNull();
  });

  it("streams each event's token log probabilities with its delta, at every byte split", async () => {
    const bytes = bytesOf(vertexSse(logprobsStreamEvents));
    const envelope = {
      id: "resp-lp",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
    } as const;
    const expected: ChatCompletionChunk[] = [
      {
        ...envelope,
        choices: [
          {
            index: 0,
            delta: { role: "assistant", content: "Café" },
            logprobs: { content: [token("Ca", -0.1), token("fé", -0.25)], refusal: null },
            finish_reason: null,
          },
        ],
      },
      {
        ...envelope,
        choices: [
          {
            index: 0,
            delta: { content: "!" },
            logprobs: { content: [token("!", -0.05)], refusal: null },
            finish_reason: null,
          },
        ],
      },
      {
        ...envelope,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
      },
    ];
    const whole = runStream(createOpenAIToGCPVertexAI, backend, { ...request, stream: true }, [
      bytes,
    ]);
    expect(await readWithOpenAISdk(whole)).toEqual(expected);
    for (const pieces of everySplit(bytes)) {
      expect(
        runStream(createOpenAIToGCPVertexAI, backend, { ...request, stream: true }, pieces),
      ).toBe(whole);
    }
  });
});
