/**
 * `response_format` for a provider that constrains output only to a JSON schema (Anthropic, Bedrock
 * Converse): a `json_schema` with its schema goes on, and what such a provider cannot honour is
 * refused in its own words.
 */
import { badRequest } from "../errors";
import type { ChatCompletionRequest } from "./openai-chat";

type ResponseFormat = NonNullable<ChatCompletionRequest["response_format"]>;

/** A `response_format.json_schema` that carries its schema. */
type RequiredJsonSchema = Extract<ResponseFormat, { type: "json_schema" }>["json_schema"] & {
  schema: Record<string, unknown>;
};

/** A provider's messages for the two refusals, each saying what to send instead. */
export interface SchemaOnlyRefusals {
  /** For `json_object`, which asks for JSON without a schema. */
  jsonObject: string;
  /** For a `json_schema` without `schema`. */
  missingSchema: string;
}

/**
 * The JSON schema the request constrains output to; undefined when it asks for text (or says
 * nothing).
 * @throws TranslationError (400) for `json_object` (param `response_format`) and for a
 *   `json_schema` without a schema (param `response_format.json_schema.schema`), with `refusals`'
 *   messages.
 */
export function requiredJsonSchemaOf(
  request: ChatCompletionRequest,
  refusals: SchemaOnlyRefusals,
): RequiredJsonSchema | undefined {
  const format = request.response_format;
  if (format === undefined || format.type === "text") return undefined;
  if (format.type === "json_object") throw badRequest(refusals.jsonObject, "response_format");
  const { schema } = format.json_schema;
  if (schema === undefined) {
    throw badRequest(refusals.missingSchema, "response_format.json_schema.schema");
  }
  return { ...format.json_schema, schema };
}
