/**
 * The Gemini `generateContent` wire shapes (REST JSON, camelCase) as Vertex AI serves them, and
 * Google's error body. Only the fields the translators write or read are spelled out.
 */
import type { z } from "zod";
import type { SafetySettingSchema } from "./gemini-vendor-fields";

/** One part of a Gemini turn. */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

/** One turn of a Gemini conversation. */
export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** The body of `:generateContent` / `:streamGenerateContent`. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: {
    functionDeclarations: { name: string; description?: string; parametersJsonSchema?: unknown }[];
  }[];
  toolConfig?: {
    functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] };
  };
  generationConfig?: GeminiGenerationConfig;
  safetySettings?: GeminiSafetySetting[];
}

/** One entry of `safetySettings`: how strictly to block one harm category, as the client sent it. */
type GeminiSafetySetting = z.infer<typeof SafetySettingSchema>;

/** `generationConfig`: the sampling and output knobs. */
export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  stopSequences?: string[];
  temperature?: number;
  topP?: number;
  seed?: number;
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: unknown;
  responseSchema?: GeminiSchema;
  /** Return the chosen token's log probability at each step. */
  responseLogprobs?: boolean;
  /** How many top alternatives per step to return with `responseLogprobs` (1–20). */
  logprobs?: number;
  topK?: number;
  mediaResolution?: string;
  thinkingConfig?: GeminiThinkingConfig;
}

/**
 * Gemini's `Schema`, the OpenAPI 3.0 subset `responseSchema` takes: upper-case `type` names and
 * `nullable` in place of a "null" type.
 */
export interface GeminiSchema {
  type?: "STRING" | "NUMBER" | "INTEGER" | "BOOLEAN" | "ARRAY" | "OBJECT";
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: GeminiSchema;
  minItems?: string;
  maxItems?: string;
  minLength?: string;
  maxLength?: string;
  minProperties?: string;
  maxProperties?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  propertyOrdering?: string[];
  anyOf?: GeminiSchema[];
  default?: unknown;
  example?: unknown;
}

/** `generationConfig.thinkingConfig`: a budget (Gemini 2.5) or a level (Gemini 3). */
export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  /** A `GeminiThinkingLevel`, or any level a client names itself (Gemini judges it). */
  thinkingLevel?: string;
}

/** The thinking levels reasoning efforts map to. */
export type GeminiThinkingLevel = "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";

/** Token counts as Gemini reports them. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

/** One candidate answer. */
export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  /** Why the candidate finished, in words (e.g. the malformed call of MALFORMED_FUNCTION_CALL). */
  finishMessage?: string;
  /** Token log probabilities, when the request asked for them (`responseLogprobs`). */
  logprobsResult?: GeminiLogprobsResult;
}

/** One token and its log probability. */
export interface GeminiTokenLogprob {
  token?: string;
  tokenId?: number;
  logProbability?: number;
}

/**
 * The log probabilities of a candidate's tokens: one chosen token per decoding step, and per step
 * the most likely alternatives (when `logprobs` asked for some).
 */
export interface GeminiLogprobsResult {
  chosenCandidates?: GeminiTokenLogprob[];
  topCandidates?: { candidates?: GeminiTokenLogprob[] }[];
}

/** A whole `generateContent` response, and also each event of the SSE stream. */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** Google's error body: `{error:{code,message,status}}`. */
export interface GoogleErrorBody {
  error: { code?: number; message?: string; status?: string };
}

/** One event of a `streamGenerateContent?alt=sse` stream: a response slice, or a Google error. */
export type GeminiStreamEvent = GeminiResponse & Partial<GoogleErrorBody>;
