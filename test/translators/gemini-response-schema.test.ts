import type { Schema, Type } from "@google/genai";
import { acceptsResponseJsonSchema, geminiVersionOf } from "../../translators/gemini-helper";
import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import type { BackendTarget } from "../../translators/types";
import { wire } from "./fixtures/openai-gcpvertexai";
import { jsonOf, requestRejection, translateChatRequest } from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "GCPVertexAI" } };

/** A chat request for `model` asking for JSON that follows `schema`. */
const withSchema = (model: string, schema: object) => ({
  model,
  messages: [{ role: "user", content: "JSON please" }],
  response_format: { type: "json_schema", json_schema: { name: "answer", schema } },
});

const generationConfigOf = (model: string, schema: object) =>
  (
    jsonOf(
      translateChatRequest(createOpenAIToGCPVertexAI, backend, withSchema(model, schema)).upstream
        .body,
    ) as {
      generationConfig: {
        responseMimeType: string;
        responseJsonSchema?: unknown;
        responseSchema?: Schema;
      };
    }
  ).generationConfig;

/** A schema as Pydantic writes it: a nested model under $defs, an optional field, no property order. */
const pydanticSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    City: {
      type: "object",
      properties: { name: { type: "string" }, country: { type: "string", enum: ["FR", "DE"] } },
      required: ["name", "country"],
      additionalProperties: false,
    },
  },
  type: "object",
  properties: {
    zeta: { type: "integer", minimum: 0, description: "last in the alphabet, first here" },
    city: { $ref: "#/$defs/City", description: "where" },
    note: { anyOf: [{ type: "string" }, { type: "null" }], default: null },
    tags: { type: "array", items: { type: "string", format: "date" }, minItems: 1, maxItems: 3 },
    score: { type: ["number", "null"] },
  },
  required: ["zeta", "city"],
  additionalProperties: false,
};

describe("Gemini response_format json_schema, per model", () => {
  it.each([
    ["gemini-2.5-flash", true],
    ["gemini-2.5-pro-preview-06-05", true],
    ["gemini-3-pro-preview", true],
    ["gemini-3.1-flash-lite", true],
    ["gemini-2.0-flash-001", false],
    ["gemini-2.0-flash-lite", false],
    ["gemini-1.5-pro-002", false],
    ["projects/p/locations/l/publishers/google/models/gemini-2.0-flash", false],
    ["my-tuned-endpoint", true],
  ])("%s takes responseJsonSchema: %s", (model, expected) => {
    expect(acceptsResponseJsonSchema(geminiVersionOf(model))).toBe(expected);
  });

  it("sends the JSON Schema unchanged as responseJsonSchema to Gemini 2.5 and later", () => {
    expect(generationConfigOf("gemini-2.5-flash", pydanticSchema)).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: pydanticSchema,
    });
  });

  it("converts it to responseSchema for Gemini 2.0: $ref inlined, null as nullable, the client's property order", () => {
    const expected: Schema = {
      type: wire<Type>("OBJECT"),
      properties: {
        zeta: {
          type: wire<Type>("INTEGER"),
          minimum: 0,
          description: "last in the alphabet, first here",
        },
        city: {
          type: wire<Type>("OBJECT"),
          description: "where",
          properties: {
            name: { type: wire<Type>("STRING") },
            country: { type: wire<Type>("STRING"), enum: ["FR", "DE"] },
          },
          required: ["name", "country"],
          propertyOrdering: ["name", "country"],
        },
        note: { type: wire<Type>("STRING"), nullable: true, default: null },
        tags: {
          type: wire<Type>("ARRAY"),
          items: { type: wire<Type>("STRING"), format: "date" },
          minItems: "1",
          maxItems: "3",
        },
        score: { type: wire<Type>("NUMBER"), nullable: true },
      },
      required: ["zeta", "city"],
      propertyOrdering: ["zeta", "city", "note", "tags", "score"],
    };
    expect(generationConfigOf("gemini-2.0-flash-001", pydanticSchema)).toEqual({
      responseMimeType: "application/json",
      responseSchema: expected,
    });
  });

  it("keeps a union of several branches as anyOf, and a string const as a one-value enum", () => {
    const schema = {
      anyOf: [
        { type: "object", properties: { kind: { const: "a" } } },
        { type: "integer" },
        { type: "null" },
      ],
    };
    const expected: Schema = {
      nullable: true,
      anyOf: [
        {
          type: wire<Type>("OBJECT"),
          properties: { kind: { type: wire<Type>("STRING"), enum: ["a"] } },
          propertyOrdering: ["kind"],
        },
        { type: wire<Type>("INTEGER") },
      ],
    };
    expect(generationConfigOf("gemini-1.5-pro-002", schema).responseSchema).toEqual(expected);
  });

  it.each([
    [
      { type: "object", properties: { a: { oneOf: [{ type: "string" }, { type: "integer" }] } } },
      'properties.a uses "oneOf", which Gemini\'s responseSchema cannot express',
    ],
    [
      { type: "array", items: { type: "string" }, uniqueItems: true },
      'the schema uses "uniqueItems", which Gemini\'s responseSchema cannot express',
    ],
    [
      { allOf: [{ type: "string" }] },
      'the schema uses "allOf", which Gemini\'s responseSchema cannot express',
    ],
    [
      { type: ["string", "integer"] },
      'the schema has "type": ["string","integer"]; use anyOf for more than one type',
    ],
    [{ type: "null" }, 'the schema has "type": "null" alone, which responseSchema cannot express'],
    [
      { type: "integer", enum: [1, 2] },
      'the schema has "enum" values that are not strings; responseSchema enumerates strings only',
    ],
    [
      { type: "object", properties: { a: { $ref: "https://example.com/a.json" } } },
      'properties.a has "$ref": "https://example.com/a.json", which is not a definition of this schema',
    ],
    [
      {
        $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } },
        $ref: "#/$defs/Node",
      },
      'properties.next has a recursive "$ref": "#/$defs/Node", which responseSchema cannot hold',
    ],
  ])("rejects %j for Gemini 2.0 with a 400 naming the keyword", (schema, detail) => {
    const error = requestRejection(
      createOpenAIToGCPVertexAI,
      backend,
      withSchema("gemini-2.0-flash", schema),
    );
    expect(error).toMatchObject({
      status: 400,
      param: "response_format.json_schema.schema",
      message: `response_format.json_schema.schema: ${detail} (this Gemini model takes the OpenAPI subset, responseSchema).`,
    });
  });

  it("sends the same schemas to Gemini 2.5 without judging them", () => {
    const schema = { type: "array", items: { type: "string" }, uniqueItems: true };
    expect(generationConfigOf("gemini-2.5-pro", schema).responseJsonSchema).toEqual(schema);
  });
});
