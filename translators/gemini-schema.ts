/**
 * OpenAI `response_format.json_schema.schema` (JSON Schema) → Gemini's `responseSchema`, the OpenAPI
 * 3.0 subset that Gemini models before 2.5 take in place of `responseJsonSchema`. A keyword is kept
 * when `Schema` has it, dropped when it only annotates (the answer means the same without it), and
 * refused with a 400 naming it when dropping it would let Gemini answer what the schema forbids.
 */
import { badRequest, type TranslationError } from "./errors";
import type { GeminiSchema } from "./gemini-types";

type JsonSchema = Record<string, unknown>;

/** JSON Schema `type` names → Gemini `Type`; "null" becomes `nullable` instead. */
const GEMINI_TYPE: Readonly<Record<string, NonNullable<GeminiSchema["type"]>>> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
};

/** Keywords copied as they are. */
const COPIED = ["format", "title", "description", "pattern", "minimum", "maximum"] as const;

/** Counts, which Gemini's `Schema` holds as int64 (a JSON string). */
const COUNTS = [
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minProperties",
  "maxProperties",
] as const;

/**
 * Keywords that only annotate or that hold what `$ref` points at; the answer means the same without
 * them. `additionalProperties` goes too: Gemini answers with the listed properties only, which every
 * value of `additionalProperties` allows.
 */
const DROPPED: ReadonlySet<string> = new Set([
  "$schema",
  "$id",
  "$comment",
  "$defs",
  "definitions",
  "examples",
  "readOnly",
  "writeOnly",
  "deprecated",
  "additionalProperties",
]);

/** Keywords read in `convert` itself. */
const HANDLED: ReadonlySet<string> = new Set([
  ...COPIED,
  ...COUNTS,
  "type",
  "enum",
  "const",
  "items",
  "properties",
  "required",
  "propertyOrdering",
  "anyOf",
  "nullable",
  "default",
  "example",
  "$ref",
]);

/** Where a schema sits, for messages, and the `$ref`s being inlined above it (to catch cycles). */
interface Place {
  path: string;
  refs: readonly string[];
}

/**
 * Converts a JSON Schema to Gemini's `responseSchema`, inlining local `$ref`s (`#/$defs/…`,
 * `#/definitions/…`). Every object that has no `propertyOrdering` gets one in the schema's own key
 * order, since these models otherwise order properties alphabetically.
 * @throws TranslationError (400, param `response_format.json_schema.schema`) naming the first
 *   keyword `responseSchema` cannot express: `oneOf`, `allOf`, `not`, `uniqueItems`, a `$ref` that is
 *   not local or is recursive, a type list of more than one type besides "null", enum values that are
 *   not strings, and the like.
 */
export function toGeminiSchema(schema: JsonSchema): GeminiSchema {
  const defs = { ...asObject(schema.definitions), ...asObject(schema.$defs) };
  return new SchemaConverter(defs).convert(schema, { path: "", refs: [] });
}

class SchemaConverter {
  constructor(private readonly defs: Record<string, unknown>) {}

  convert(schema: unknown, place: Place): GeminiSchema {
    if (!isObject(schema)) throw unsupported(place, "is not a schema object");
    if (typeof schema.$ref === "string") return this.inline(schema, place);
    for (const key of Object.keys(schema)) {
      if (!HANDLED.has(key) && !DROPPED.has(key)) {
        throw unsupported(place, `uses "${key}", which Gemini's responseSchema cannot express`);
      }
    }
    const out: GeminiSchema = {};
    this.convertType(schema, out, place);
    for (const key of COPIED)
      if (schema[key] !== undefined) Object.assign(out, { [key]: schema[key] });
    for (const key of COUNTS) if (schema[key] !== undefined) out[key] = String(schema[key]);
    if (schema.nullable === true) out.nullable = true;
    if (schema.default !== undefined) out.default = schema.default;
    if (schema.example !== undefined) out.example = schema.example;
    this.convertEnum(schema, out, place);
    if (schema.items !== undefined) {
      out.items = this.convert(schema.items, at(place, "items"));
    }
    if (schema.properties !== undefined) this.convertProperties(schema, out, place);
    if (schema.anyOf !== undefined) this.convertAnyOf(schema.anyOf, out, place);
    return out;
  }

  /** A `$ref` to a local definition, replaced by that definition; siblings are annotations. */
  private inline(schema: JsonSchema, place: Place): GeminiSchema {
    const ref = schema.$ref as string;
    const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
    const target = match ? this.defs[decodePointer(match[1])] : undefined;
    if (target === undefined) {
      throw unsupported(place, `has "$ref": "${ref}", which is not a definition of this schema`);
    }
    if (place.refs.includes(ref)) {
      throw unsupported(
        place,
        `has a recursive "$ref": "${ref}", which responseSchema cannot hold`,
      );
    }
    const inlined = this.convert(target, { path: place.path, refs: [...place.refs, ref] });
    if (typeof schema.description === "string") inlined.description = schema.description;
    return inlined;
  }

  private convertType(schema: JsonSchema, out: GeminiSchema, place: Place): void {
    const type = schema.type;
    if (type === undefined) return;
    const names = Array.isArray(type) ? type : [type];
    const nonNull = names.filter(name => name !== "null");
    if (nonNull.length !== names.length) out.nullable = true;
    if (nonNull.length > 1) {
      throw unsupported(
        place,
        `has "type": ${JSON.stringify(type)}; use anyOf for more than one type`,
      );
    }
    if (nonNull.length === 0) {
      throw unsupported(place, `has "type": "null" alone, which responseSchema cannot express`);
    }
    const mapped = typeof nonNull[0] === "string" ? GEMINI_TYPE[nonNull[0]] : undefined;
    if (mapped === undefined)
      throw unsupported(place, `has an unknown "type": ${JSON.stringify(type)}`);
    out.type = mapped;
  }

  /** `enum` and `const`; `responseSchema` enumerates strings only (and null, as `nullable`). */
  private convertEnum(schema: JsonSchema, out: GeminiSchema, place: Place): void {
    const values = schema.const !== undefined ? [schema.const] : schema.enum;
    if (values === undefined) return;
    const keyword = schema.const !== undefined ? "const" : "enum";
    if (!Array.isArray(values)) throw unsupported(place, `has an "enum" that is not a list`);
    const strings = values.filter(value => value !== null);
    if (!strings.every(value => typeof value === "string")) {
      throw unsupported(
        place,
        `has "${keyword}" values that are not strings; responseSchema enumerates strings only`,
      );
    }
    if (strings.length !== values.length) out.nullable = true;
    out.enum = strings as string[];
    out.type ??= "STRING";
  }

  private convertProperties(schema: JsonSchema, out: GeminiSchema, place: Place): void {
    const properties = asObject(schema.properties);
    out.properties = {};
    for (const [name, property] of Object.entries(properties)) {
      out.properties[name] = this.convert(property, at(place, `properties.${name}`));
    }
    if (Array.isArray(schema.required)) out.required = schema.required as string[];
    out.propertyOrdering = Array.isArray(schema.propertyOrdering)
      ? (schema.propertyOrdering as string[])
      : Object.keys(properties);
  }

  /**
   * `anyOf`; a `{"type": "null"}` branch becomes `nullable`, and a single branch left is merged into
   * the schema, as Pydantic and zod write an optional value.
   */
  private convertAnyOf(anyOf: unknown, out: GeminiSchema, place: Place): void {
    if (!Array.isArray(anyOf)) throw unsupported(place, `has an "anyOf" that is not a list`);
    const branches = anyOf.filter(branch => !(isObject(branch) && branch.type === "null"));
    if (branches.length !== anyOf.length) out.nullable = true;
    const converted = branches.map((branch, i) => this.convert(branch, at(place, `anyOf.${i}`)));
    // The schema's own keywords win over those of the branch merged into it.
    if (converted.length === 1) Object.assign(out, { ...converted[0], ...out });
    else if (converted.length > 1) out.anyOf = converted;
  }
}

function at(place: Place, key: string): Place {
  return { ...place, path: place.path === "" ? key : `${place.path}.${key}` };
}

function unsupported(place: Place, what: string): TranslationError {
  const where = place.path === "" ? "the schema" : place.path;
  return badRequest(
    `response_format.json_schema.schema: ${where} ${what} (this Gemini model takes the OpenAPI subset, responseSchema).`,
    "response_format.json_schema.schema",
  );
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

/** A JSON Pointer segment (`~1` is "/", `~0` is "~"). */
function decodePointer(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~");
}
