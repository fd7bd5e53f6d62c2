import {
  createOpenAIToAWSBedrockEmbeddings,
  type CohereEmbeddingsResponse,
  type TitanEmbeddingsResponse,
} from "../../translators/openai-awsbedrock-embeddings";
import type { BackendTarget } from "../../translators/types";
import {
  bedrockRequestCases,
  bedrockRequestErrorCases,
  sharedRequestErrorCases,
  type EmbeddingsRequestWithExtras,
} from "./fixtures/openai-embeddings";
import { errorCases } from "./fixtures/openai-awsbedrock";
import {
  embeddingsOf,
  expectNoEmbeddingsFor,
  inputOnlyUsage,
  itIsTheRegisteredPair,
  itMapsProviderErrors,
  itRefusesRequests,
  itTranslatesRequests,
  translatorOf,
  type EmbeddingsPair,
} from "./embeddings-harness";
import { expectNotJsonAnswer, respond } from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "AWSBedrock" } };
const pair: EmbeddingsPair = { factory: createOpenAIToAWSBedrockEmbeddings, backend };

const titan: EmbeddingsRequestWithExtras = {
  model: "amazon.titan-embed-text-v2:0",
  input: "a cat",
};
const cohere: EmbeddingsRequestWithExtras = {
  model: "cohere.embed-english-v3",
  input: ["one", "two"],
};

const titanResponse: TitanEmbeddingsResponse = {
  embedding: [0.5, -0.25, 0.1],
  inputTextTokenCount: 3,
};
const cohereResponse: CohereEmbeddingsResponse = {
  id: "5d6a7c1e-0000-4000-8000-000000000000",
  response_type: "embeddings_by_type",
  embeddings: {
    float: [
      [0.5, 0.5],
      [-0.125, 0.75],
    ],
  },
  texts: ["one", "two"],
};

describe("OpenAI embeddings → AWS Bedrock InvokeModel: request", () => {
  itTranslatesRequests(pair, bedrockRequestCases, {
    "content-type": "application/json",
    accept: "application/json",
  });

  itIsTheRegisteredPair(pair, cohere, "/model/cohere.embed-english-v3/invoke");

  itRefusesRequests(pair, [
    ...bedrockRequestErrorCases,
    ...sharedRequestErrorCases("cohere.embed-english-v3"),
  ]);
});

describe("OpenAI embeddings → AWS Bedrock InvokeModel: response", () => {
  it("maps a Titan embedding and its token count", () => {
    const { translator } = translatorOf(pair, titan);
    const { response, list } = embeddingsOf(translator, titanResponse);
    expect(response.status).toBe(200);
    expect(response.headers.set["content-type"]).toBe("application/json");
    expect(list).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.5, -0.25, 0.1] }],
      model: "amazon.titan-embed-text-v2:0",
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    expect(response.usage).toEqual(inputOnlyUsage(3));
  });

  it("writes base64 as little-endian float32", () => {
    const { translator } = translatorOf(pair, { ...titan, encoding_format: "base64" });
    const { list } = embeddingsOf(translator, { embedding: [1, -2], inputTextTokenCount: 1 });
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0
    expect(list.data[0].embedding).toBe(Buffer.from("0000803f000000c0", "hex").toString("base64"));
  });

  it("reports the client's model, not the override", () => {
    const { translator } = translatorOf(
      pair,
      { model: "embedder", input: "a" },
      "amazon.titan-embed-text-v1",
    );
    expect(embeddingsOf(translator, titanResponse).list.model).toBe("embedder");
  });

  it("counts Titan tokens from the response header when the body has none", () => {
    const { translator } = translatorOf(pair, titan);
    const { list } = embeddingsOf(
      translator,
      { embedding: [1, 0] },
      { "x-amzn-bedrock-input-token-count": "7" },
    );
    expect(list.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
  });

  it("maps Cohere's embeddings by type, counting tokens from the response header", () => {
    const { translator } = translatorOf(pair, cohere);
    const { response, list } = embeddingsOf(translator, cohereResponse, {
      "x-amzn-bedrock-input-token-count": "4",
    });
    expect(list).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.5, 0.5] },
        { object: "embedding", index: 1, embedding: [-0.125, 0.75] },
      ],
      model: "cohere.embed-english-v3",
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    expect(response.usage).toEqual(inputOnlyUsage(4));
  });

  it("reads Cohere's plain float list too, and counts 0 tokens without the header", () => {
    const { translator } = translatorOf(pair, cohere);
    const { list } = embeddingsOf(translator, {
      ...cohereResponse,
      response_type: "embeddings_floats",
      embeddings: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(list.data.map(item => item.embedding)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(list.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });

  it.each([
    ["fewer vectors than texts", { ...cohereResponse, embeddings: { float: [[1]] } }],
    ["no float vectors", { ...cohereResponse, embeddings: { int8: [[1], [2]] } }],
    ["a vector that is not numbers", { ...cohereResponse, embeddings: [["a"], [1]] }],
  ])("answers a 502 for a Cohere body with %s", (_name, body) => {
    const { translator } = translatorOf(pair, cohere);
    expectNoEmbeddingsFor(respond(translator, 200, body), 2);
  });

  it("answers a 502 for a Titan body without an embedding", () => {
    const { translator } = translatorOf(pair, titan);
    expectNoEmbeddingsFor(respond(translator, 200, { inputTextTokenCount: 3 }), 1);
  });

  itMapsProviderErrors(pair, titan, errorCases);

  itMapsProviderErrors(pair, cohere, [
    {
      name: "a throttled Cohere call, by its exception name",
      status: 429,
      headers: {
        "x-amzn-errortype":
          "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      },
      body: JSON.stringify({ message: "Too many requests, please wait before trying again." }),
      expected: {
        status: 429,
        type: "rate_limit_error",
        code: "ThrottlingException",
        message: "Too many requests, please wait before trying again.",
      },
    },
  ]);

  it("answers a 2xx body that is not JSON with a 502", () => {
    expectNotJsonAnswer(translatorOf(pair, titan).translator);
  });

  it("needs translateRequest first, and has no stream translator", () => {
    const translator = createOpenAIToAWSBedrockEmbeddings(backend);
    expect(() => respond(translator, 200, titanResponse)).toThrow(
      "translateRequest must be called before translating the response",
    );
    expect(() => translatorOf(pair, titan).translator.createStreamTranslator()).toThrow(
      "embeddings responses do not stream",
    );
  });
});
