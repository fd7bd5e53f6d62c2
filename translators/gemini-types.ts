/**
 * The Gemini `generateContent` wire shapes (REST JSON, camelCase) as Vertex AI serves them, and
 * Google's error body. Only the fields the translators write or read are spelled out.
 */

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
}

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
  thinkingConfig?: GeminiThinkingConfig;
}

/** `generationConfig.thinkingConfig`: a budget (Gemini 2.5) or a level (Gemini 3). */
export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";
}

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
