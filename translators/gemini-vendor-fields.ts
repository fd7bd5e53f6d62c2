/**
 * Gemini's own request fields, which a client may send inline in an OpenAI chat request for a Gemini
 * backend (`GCPVertexAI`), spelt as Envoy AI Gateway takes them. Only the shape is checked here; the
 * values (harm categories, thresholds, resolutions, levels) are Gemini's to judge, and it answers an
 * unknown one with a 400 of its own. Other backends ignore these fields (`GEMINI_ONLY_CHAT_FIELDS`).
 */
import { z } from "zod";
import type { ChatCompletionRequest } from "./shared/openai-chat";
import { parseOrBadRequest } from "./shared/request-validation";

/** One entry of `safetySettings`: a harm category and how strictly to block it. */
export const SafetySettingSchema = z.object(
  {
    category: z.string({ error: "must be a string naming a harm category" }),
    threshold: z.string({ error: "must be a string naming a block threshold" }),
    method: z.string({ error: "must be SEVERITY or PROBABILITY" }).optional(),
  },
  { error: "must be an object {category, threshold, method?}" },
);

/** `generationConfig.thinkingConfig`, as Gemini spells it. */
const VendorThinkingConfigSchema = z.strictObject(
  {
    includeThoughts: z.boolean({ error: "must be a boolean" }).optional(),
    thinkingBudget: z.number({ error: "must be an integer" }).int("must be an integer").optional(),
    thinkingLevel: z.string({ error: "must be a string such as LOW or HIGH" }).optional(),
  },
  {
    error: issue =>
      issue.code === "unrecognized_keys"
        ? `takes only includeThoughts, thinkingBudget and thinkingLevel, not ${quoted(issue.keys)}`
        : "must be an object",
  },
);

/**
 * The `generationConfig` keys a request may set itself. Only knobs whose answer the response side
 * reads like any other are taken: `responseModalities` (images or audio back) and the like would
 * come back as parts this gateway cannot return, so they are refused rather than dropped.
 * `media_resolution` is Envoy AI Gateway's spelling of `mediaResolution`.
 */
const VendorGenerationConfigSchema = z.strictObject(
  {
    thinkingConfig: VendorThinkingConfigSchema.optional(),
    mediaResolution: z
      .string({ error: "must be a string such as MEDIA_RESOLUTION_LOW" })
      .optional(),
    media_resolution: z
      .string({ error: "must be a string such as MEDIA_RESOLUTION_LOW" })
      .optional(),
    topK: z.number({ error: "must be a number" }).positive("must be positive").optional(),
  },
  {
    error: issue =>
      issue.code === "unrecognized_keys"
        ? `Gemini generationConfig keys taken here are thinkingConfig, mediaResolution (or media_resolution) and topK, not ${quoted(issue.keys)}; set the others through their OpenAI fields.`
        : "must be an object of Gemini generationConfig keys",
  },
);

const quoted = (keys: readonly string[]) => keys.map(key => `"${key}"`).join(", ");

/**
 * The Gemini fields of an OpenAI chat request, wire-compatible with Envoy AI Gateway's: top-level
 * `safetySettings` (Gemini's own list, sent as is) and `generationConfig` (merged into the one built
 * from the OpenAI fields, its values winning).
 */
const geminiVendorFieldsSchema = z.object({
  safetySettings: z.array(SafetySettingSchema, { error: "must be an array" }).nullish(),
  generationConfig: VendorGenerationConfigSchema.nullish(),
});

export type GeminiVendorFields = z.infer<typeof geminiVendorFieldsSchema>;

/**
 * The top-level fields of an OpenAI chat request that only Gemini backends read. OpenAI answers a
 * request that carries one with a 400 ("Unrecognized request argument"), so they are left out of
 * chat requests to OpenAI-speaking backends, which is how every other backend ignores them too.
 */
export const GEMINI_ONLY_CHAT_FIELDS: readonly string[] = Object.keys(
  geminiVendorFieldsSchema.shape,
);

const NO_VENDOR_FIELDS: GeminiVendorFields = {};

/**
 * The request's Gemini fields, checked here rather than with the rest of the request so that other
 * backends ignore them.
 * @throws TranslationError (400) naming the first field of the wrong shape.
 */
export function geminiVendorFieldsOf(request: ChatCompletionRequest): GeminiVendorFields {
  if (GEMINI_ONLY_CHAT_FIELDS.every(field => request[field] === undefined)) {
    return NO_VENDOR_FIELDS;
  }
  // The schema reads its own fields of the request and leaves the rest.
  return parseOrBadRequest(geminiVendorFieldsSchema, request);
}
