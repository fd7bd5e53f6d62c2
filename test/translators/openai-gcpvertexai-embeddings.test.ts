import { vertexPath } from "../../auth/gcp";
import {
  createOpenAIToGCPVertexAIEmbeddings,
  type VertexEmbeddingsResponse,
} from "../../translators/openai-gcpvertexai-embeddings";
import type { BackendTarget } from "../../translators/types";
import {
  sharedRequestErrorCases,
  vertexRequestCases,
  vertexRequestErrorCases,
} from "./fixtures/openai-embeddings";
import { errorCases } from "./fixtures/openai-gcpvertexai";
import {
  embeddingsOf,
  expectNoEmbeddingsFor,
  inputOnlyUsage,
  itIsTheRegisteredPair,
  itMapsProviderErrors,
  itRefusesRequests,
  itTranslatesRequests,
  sdkEmbeddings,
  translatorOf,
  type EmbeddingsPair,
} from "./embeddings-harness";
import { jsonOf, respond } from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };
const pair: EmbeddingsPair = { factory: createOpenAIToGCPVertexAIEmbeddings, backend };

const twoTexts = { model: "text-embedding-005", input: ["one", "two"] };

const predictResponse: VertexEmbeddingsResponse = {
  predictions: [
    { embeddings: { values: [0.5, -0.25], statistics: { token_count: 2, truncated: false } } },
    { embeddings: { values: [0.1, 0.75], statistics: { token_count: 3, truncated: false } } },
  ],
  metadata: { billableCharacterCount: 6 },
};

describe("OpenAI embeddings → Vertex AI :predict: request", () => {
  itTranslatesRequests(pair, vertexRequestCases, { "content-type": "application/json" });

  it("goes where the chat requests go once the GCP auth layer prefixes the project and region", () => {
    const { upstream } = translatorOf(pair, twoTexts);
    expect(vertexPath("proj", "us-central1", upstream.path)).toBe(
      "/v1/projects/proj/locations/us-central1/publishers/google/models/text-embedding-005:predict",
    );
  });

  itIsTheRegisteredPair(pair, twoTexts, "publishers/google/models/text-embedding-005:predict");

  itRefusesRequests(pair, [
    ...vertexRequestErrorCases,
    ...sharedRequestErrorCases("text-embedding-005"),
  ]);
});

describe("OpenAI embeddings → Vertex AI :predict: response", () => {
  it("maps the predictions in order and sums their token counts", () => {
    const { translator } = translatorOf(pair, twoTexts);
    const { response, list } = embeddingsOf(translator, predictResponse);
    expect(response.status).toBe(200);
    expect(list).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.5, -0.25] },
        { object: "embedding", index: 1, embedding: [0.1, 0.75] },
      ],
      model: "text-embedding-005",
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
    expect(response.usage).toEqual(inputOnlyUsage(5));
  });

  it("answers the OpenAI SDK's default call in base64, which it decodes to the same numbers", async () => {
    const call = await sdkEmbeddings(
      { ...pair, backend: { ...backend, modelNameOverride: "gemini-embedding-001" } },
      {
        model: "embedder",
        input: ["one", "two"],
        dimensions: 2,
        // An extra field, as the SDK passes it through.
        ...{ task_type: "SEMANTIC_SIMILARITY" },
      },
      predictResponse,
    );
    expect(call.sent).toMatchObject({
      encoding_format: "base64",
      task_type: "SEMANTIC_SIMILARITY",
    });
    expect(call.upstream.path).toBe("publishers/google/models/gemini-embedding-001:predict");
    expect(jsonOf(call.upstream.body)).toEqual({
      instances: [
        { content: "one", task_type: "SEMANTIC_SIMILARITY" },
        { content: "two", task_type: "SEMANTIC_SIMILARITY" },
      ],
      parameters: { outputDimensionality: 2 },
    });
    expect(call.result.model).toBe("embedder");
    expect(call.result.data.map(item => item.embedding)).toEqual([
      [0.5, -0.25],
      [Math.fround(0.1), 0.75],
    ]);
    expect(call.result.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
  });

  it("counts 0 tokens when the predictions carry no statistics", () => {
    const { translator } = translatorOf(pair, { model: "text-embedding-005", input: "one" });
    const { response, list } = embeddingsOf(translator, {
      predictions: [{ embeddings: { values: [1] } }],
    });
    expect(list).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [1] }],
      model: "text-embedding-005",
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
    expect(response.usage).toEqual(inputOnlyUsage(0));
  });

  it.each([
    ["no predictions", {}],
    ["fewer predictions than texts", { predictions: predictResponse.predictions!.slice(1) }],
    ["a prediction without values", { predictions: [{ embeddings: {} }, { embeddings: {} }] }],
  ])("answers a 502 for a body with %s", (_name, body) => {
    const { translator } = translatorOf(pair, twoTexts);
    expectNoEmbeddingsFor(respond(translator, 200, body), 2);
  });

  itMapsProviderErrors(pair, twoTexts, errorCases);

  it("passes on Vertex's 400 for more texts than a model takes", () => {
    const { translator } = translatorOf(pair, { model: "gemini-embedding-001", input: ["a", "b"] });
    const response = respond(translator, 400, {
      error: {
        code: 400,
        message:
          "Unable to submit request because the model supports up to 1 instances per request.",
        status: "INVALID_ARGUMENT",
      },
    });
    expect(response.status).toBe(400);
    expect(jsonOf(response.body)).toEqual({
      error: {
        message:
          "Unable to submit request because the model supports up to 1 instances per request.",
        type: "invalid_request_error",
        param: null,
        code: "INVALID_ARGUMENT",
      },
    });
  });
});
