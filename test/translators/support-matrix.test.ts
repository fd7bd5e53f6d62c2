import { createTranslator, SUPPORTED_ENDPOINTS, SUPPORTED_PAIRS } from "../../translators";
import { TranslationError } from "../../translators/errors";
import type { APISchemaName } from "../../api/v1alpha1";
import type { BackendTarget, ClientEndpoint } from "../../translators/types";
import { fixedDeps } from "./stream-split-harness";

// Every schema and endpoint the types name: a new one fails to compile here until it is listed.
const SCHEMAS = Object.keys({
  OpenAI: true,
  AWSBedrock: true,
  AzureOpenAI: true,
  GCPVertexAI: true,
  GCPAnthropic: true,
  Anthropic: true,
} satisfies Record<APISchemaName, true>) as APISchemaName[];

/** The smallest valid body for each endpoint. */
const MINIMAL_BODY: Record<ClientEndpoint, unknown> = {
  "/v1/chat/completions": { model: "m", messages: [{ role: "user", content: "Hi" }] },
  "/v1/embeddings": { model: "m", input: "Hi" },
  "/v1/completions": { model: "m", prompt: "Hi" },
};
const ENDPOINTS = Object.keys(MINIMAL_BODY) as ClientEndpoint[];

/**
 * The smallest valid body for a pair: Bedrock chooses the embeddings body by the model's family, so
 * its model must name one.
 */
const minimalBody = (endpoint: ClientEndpoint, schema: APISchemaName) =>
  endpoint === "/v1/embeddings" && schema === "AWSBedrock"
    ? { model: "amazon.titan-embed-text-v2:0", input: "Hi" }
    : (MINIMAL_BODY[endpoint] as { model: string });

/** A backend of the schema, with the api-version Azure OpenAI cannot do without. */
const backendOf = (name: APISchemaName): BackendTarget =>
  name === "AzureOpenAI" ? { schema: { name, version: "2024-10-21" } } : { schema: { name } };

const isListed = (endpoint: ClientEndpoint, schema: APISchemaName) =>
  SUPPORTED_PAIRS.some(pair => pair.endpoint === endpoint && pair.schema === schema);

/** What `createTranslator` throws, or undefined. */
function thrownBy(endpoint: string, schema: APISchemaName): unknown {
  try {
    createTranslator(endpoint, backendOf(schema), fixedDeps());
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("SUPPORTED_PAIRS", () => {
  it("is the support matrix, endpoint by endpoint", () => {
    expect(SUPPORTED_PAIRS).toEqual([
      { endpoint: "/v1/chat/completions", schema: "OpenAI" },
      { endpoint: "/v1/chat/completions", schema: "AWSBedrock" },
      { endpoint: "/v1/chat/completions", schema: "AzureOpenAI" },
      { endpoint: "/v1/chat/completions", schema: "GCPVertexAI" },
      { endpoint: "/v1/chat/completions", schema: "GCPAnthropic" },
      { endpoint: "/v1/chat/completions", schema: "Anthropic" },
      { endpoint: "/v1/embeddings", schema: "OpenAI" },
      { endpoint: "/v1/embeddings", schema: "AWSBedrock" },
      { endpoint: "/v1/embeddings", schema: "AzureOpenAI" },
      { endpoint: "/v1/embeddings", schema: "GCPVertexAI" },
      { endpoint: "/v1/completions", schema: "OpenAI" },
    ]);
    expect(SUPPORTED_ENDPOINTS).toEqual(ENDPOINTS);
    expect(Object.isFrozen(SUPPORTED_PAIRS)).toBe(true);
    expect(SUPPORTED_PAIRS.every(pair => Object.isFrozen(pair))).toBe(true);
  });

  it.each(SUPPORTED_PAIRS.map(pair => [pair.endpoint, pair.schema] as const))(
    "%s → %s builds and translates a minimal request",
    (endpoint, schema) => {
      const translator = createTranslator(endpoint, backendOf(schema), fixedDeps());
      const body = minimalBody(endpoint, schema);
      const upstream = translator.translateRequest({ path: endpoint, headers: {}, body });
      expect(upstream).toMatchObject({
        requestedModel: body.model,
        upstreamModel: body.model,
        stream: false,
      });
    },
  );

  const unlisted = ENDPOINTS.flatMap(endpoint =>
    SCHEMAS.filter(schema => !isListed(endpoint, schema)).map(
      schema => [endpoint, schema] as const,
    ),
  );

  it.each(unlisted)(
    "%s → %s is refused with a 400 naming what the endpoint supports",
    (endpoint, schema) => {
      const supported = SUPPORTED_PAIRS.filter(pair => pair.endpoint === endpoint)
        .map(pair => pair.schema)
        .join(", ");
      const error = thrownBy(endpoint, schema);
      expect(error).toBeInstanceOf(TranslationError);
      expect(error).toMatchObject({
        status: 400,
        type: "invalid_request_error",
        code: "unsupported_backend",
        param: null,
        message: `${endpoint} is not supported for backend schema ${schema}; it supports ${supported}`,
      });
    },
  );
});

describe("createTranslator", () => {
  it.each(["/v1/images/generations", "/v1/chat/completions/", "/v1/responses", ""])(
    "answers 404 for the path %j, whatever the schema",
    endpoint => {
      for (const schema of SCHEMAS) {
        const error = thrownBy(endpoint, schema);
        expect(error).toBeInstanceOf(TranslationError);
        expect(error).toMatchObject({
          status: 404,
          type: "invalid_request_error",
          code: "unsupported_path",
          message: `unsupported path: ${endpoint}; the gateway serves /v1/chat/completions, /v1/embeddings, /v1/completions`,
        });
      }
    },
  );

  it("answers the 404 and the 400 with OpenAI error bodies", () => {
    const bodyOf = (error: unknown) =>
      JSON.parse(new TextDecoder().decode((error as TranslationError).toBody()));
    expect(bodyOf(thrownBy("/v1/images/generations", "OpenAI"))).toEqual({
      error: {
        message:
          "unsupported path: /v1/images/generations; the gateway serves /v1/chat/completions, /v1/embeddings, /v1/completions",
        type: "invalid_request_error",
        param: null,
        code: "unsupported_path",
      },
    });
    expect(bodyOf(thrownBy("/v1/embeddings", "Anthropic"))).toEqual({
      error: {
        message:
          "/v1/embeddings is not supported for backend schema Anthropic; it supports OpenAI, AWSBedrock, AzureOpenAI, GCPVertexAI",
        type: "invalid_request_error",
        param: null,
        code: "unsupported_backend",
      },
    });
  });
});
