/**
 * The OpenAI chat completions request, as far as translators read it. Parsing is permissive: fields
 * not named here pass through, so a newer client field does not break a request.
 */
import { z } from "zod";

const content = <T extends z.ZodType>(part: T) => z.union([z.string(), z.array(part)]);

/**
 * A prompt-cache breakpoint, as Anthropic spells it and Anthropic-style clients send it through
 * OpenAI SDKs (Envoy AI Gateway and LiteLLM take it too): the prompt up to and including the marked
 * part, message or tool is cached, for 5 minutes unless `ttl` says 1 hour.
 */
const CacheControlSchema = z.object({
  type: z.literal("ephemeral", { error: 'must be "ephemeral"' }),
  ttl: z.enum(["5m", "1h"], { error: 'must be "5m" or "1h"' }).optional(),
});
const cacheControl = CacheControlSchema.nullish();

const TextPartSchema = z
  .object({ type: z.literal("text"), text: z.string(), cache_control: cacheControl })
  .loose();
const ImagePartSchema = z
  .object({
    type: z.literal("image_url"),
    image_url: z.object({ url: z.string(), detail: z.string().optional() }).loose(),
    cache_control: cacheControl,
  })
  .loose();
const AudioPartSchema = z
  .object({
    type: z.literal("input_audio"),
    input_audio: z.object({ data: z.string(), format: z.string() }).loose(),
    cache_control: cacheControl,
  })
  .loose();
const ContentPartSchema = z.discriminatedUnion("type", [
  TextPartSchema,
  ImagePartSchema,
  AudioPartSchema,
]);

/** What the model declined to say, as OpenAI clients replay an assistant turn that refused. */
const RefusalPartSchema = z
  .object({ type: z.literal("refusal"), refusal: z.string(), cache_control: cacheControl })
  .loose();

/**
 * A reasoning block of an earlier assistant turn, as this gateway returns it (`thinking_blocks`)
 * and clients send it back: the text and the provider's signature over it, which the provider needs
 * unchanged to continue the reasoning (Anthropic, Bedrock) or the tool loop (Gemini 3).
 */
const ThinkingPartSchema = z
  .object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() })
  .loose();
/** Reasoning the provider returned encrypted (`data` is opaque and goes back unchanged). */
const RedactedThinkingPartSchema = z
  .object({ type: z.literal("redacted_thinking"), data: z.string() })
  .loose();
const ThinkingBlockSchema = z.discriminatedUnion("type", [
  ThinkingPartSchema,
  RedactedThinkingPartSchema,
]);

/**
 * The parts an assistant message can hold. Media parts are parsed so that each provider can reject
 * them naming the part, as before.
 */
const AssistantContentPartSchema = z.discriminatedUnion("type", [
  TextPartSchema,
  ImagePartSchema,
  AudioPartSchema,
  RefusalPartSchema,
  ThinkingPartSchema,
  RedactedThinkingPartSchema,
]);

const ToolCallSchema = z
  .object({
    id: z.string(),
    type: z.literal("function"),
    function: z.object({ name: z.string(), arguments: z.string() }).loose(),
  })
  .loose();

const MessageSchema = z.discriminatedUnion("role", [
  z
    .object({
      role: z.literal("system"),
      content: content(ContentPartSchema),
      name: z.string().optional(),
      cache_control: cacheControl,
    })
    .loose(),
  z
    .object({
      role: z.literal("developer"),
      content: content(ContentPartSchema),
      name: z.string().optional(),
      cache_control: cacheControl,
    })
    .loose(),
  z
    .object({
      role: z.literal("user"),
      content: content(ContentPartSchema),
      name: z.string().optional(),
      cache_control: cacheControl,
    })
    .loose(),
  z
    .object({
      role: z.literal("assistant"),
      content: content(AssistantContentPartSchema).nullish(),
      tool_calls: z.array(ToolCallSchema).optional(),
      /** The reasoning blocks of this turn, echoed back from our response's `thinking_blocks`. */
      thinking_blocks: z.array(ThinkingBlockSchema).nullish(),
      cache_control: cacheControl,
    })
    .loose(),
  z
    .object({
      role: z.literal("tool"),
      content: content(ContentPartSchema),
      tool_call_id: z.string(),
      cache_control: cacheControl,
    })
    .loose(),
]);

const ToolSchema = z
  .object({
    type: z.literal("function"),
    function: z
      .object({
        name: z.string(),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
        /** Where Envoy AI Gateway takes a tool's cache breakpoint. */
        cache_control: cacheControl,
      })
      .loose(),
    /** Where Anthropic-style clients put it, beside `function`. */
    cache_control: cacheControl,
  })
  .loose();

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(MessageSchema).min(1, { error: "must hold at least one message" }),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    tools: z.array(ToolSchema).optional(),
    tool_choice: z
      .union([
        z.enum(["auto", "none", "required"]),
        z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }).loose(),
      ])
      .optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("text") }),
        z.object({ type: z.literal("json_object") }),
        z.object({
          type: z.literal("json_schema"),
          json_schema: z
            .object({
              name: z.string(),
              description: z.string().optional(),
              schema: z.record(z.string(), z.unknown()).optional(),
              strict: z.boolean().nullish(),
            })
            .loose(),
        }),
      ])
      .optional(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stop: z.union([z.string(), z.array(z.string())]).nullish(),
    temperature: z.number().nullish(),
    top_p: z.number().nullish(),
    seed: z.number().int().nullish(),
    n: z.number().int().positive().nullish(),
    presence_penalty: z.number().nullish(),
    frequency_penalty: z.number().nullish(),
    reasoning_effort: z.string().nullish(),
    /**
     * Anthropic's thinking switch, which Anthropic-style clients send through OpenAI SDKs:
     * `{type: "enabled", budget_tokens}`, `{type: "adaptive"}` or `{type: "disabled"}`.
     */
    thinking: z
      .object({ type: z.string(), budget_tokens: z.number().int().positive().optional() })
      .loose()
      .nullish(),
    user: z.string().optional(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().nullish(),
    service_tier: z.string().nullish(),
    // Gemini's own fields (`safetySettings`, `generationConfig`; see `gemini-vendor-fields.ts`) pass
    // through as any unknown field does: only the Gemini translation reads and checks them, so that
    // every other backend ignores them.
  })
  .loose();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = ChatCompletionRequest["messages"][number];
export type ChatContentPart = z.infer<typeof ContentPartSchema>;
export type ChatToolCall = z.infer<typeof ToolCallSchema>;
export type AssistantContentPart = z.infer<typeof AssistantContentPartSchema>;
export type ThinkingBlock = z.infer<typeof ThinkingBlockSchema>;
export type ChatTool = z.infer<typeof ToolSchema>;
export type CacheControl = z.infer<typeof CacheControlSchema>;
export type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;
export type ToolMessage = Extract<ChatMessage, { role: "tool" }>;
