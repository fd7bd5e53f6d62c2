/**
 * The AWS Bedrock Converse and ConverseStream wire shapes (REST JSON; blobs are base64 strings).
 * Only the fields the translators write or read are spelled out.
 */

/** An image, inline or in S3. */
export interface ConverseImage {
  format: string;
  source: { bytes: string } | { s3Location: { uri: string } };
}

/** What a `toolResult` block can hold. */
export type ConverseToolResultContent = { text: string } | { image: ConverseImage };

/**
 * A prompt-cache checkpoint: the prompt before it is cached, for 5 minutes unless `ttl` says 1 hour.
 * It is a block of its own, after what it marks, in `system`, in a message's `content` and in
 * `toolConfig.tools`.
 */
export interface ConverseCachePoint {
  cachePoint: { type: "default"; ttl?: "5m" | "1h" };
}

/** A content block of a request message. */
export type ConverseRequestBlock =
  | ConverseCachePoint
  | { text: string }
  | { image: ConverseImage }
  | { audio: { format: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: ConverseToolResultContent[] } }
  | { reasoningContent: ConverseReasoningContent };

/** Reasoning of an earlier turn, sent back as the model gave it. */
export type ConverseReasoningContent =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: string };

/** One request message. */
export interface ConverseMessage {
  role: "user" | "assistant";
  content: ConverseRequestBlock[];
}

/** One tool offered in `toolConfig.tools`. */
interface ConverseToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}

/** An entry of `toolConfig.tools`: a tool, or a cache checkpoint after the tools before it. */
export type ConverseTool = ConverseToolSpec | ConverseCachePoint;

/** `toolConfig.toolChoice` as Converse spells it. */
export type ConverseToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } };

/** Converse `serviceTier.type` values. */
export const CONVERSE_SERVICE_TIERS = ["default", "flex", "priority", "reserved"] as const;
export type ConverseServiceTier = (typeof CONVERSE_SERVICE_TIERS)[number];

/** The Converse request body (the model is in the path, not the body). */
export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: ({ text: string } | ConverseCachePoint)[];
  inferenceConfig?: {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    stopSequences?: string[];
  };
  toolConfig?: {
    tools: ConverseTool[];
    toolChoice?: ConverseToolChoice;
  };
  /** The processing tier that serves the request. */
  serviceTier?: { type: ConverseServiceTier };
  /** Model-specific fields: reasoning switches (`thinking`, `reasoningConfig`). */
  additionalModelRequestFields?: Record<string, unknown>;
  outputConfig?: {
    textFormat: {
      type: "json_schema";
      structure: { jsonSchema: { schema: string; name?: string; description?: string } };
    };
  };
}

/** A content block of a response message. */
export interface ConverseResponseBlock {
  text?: string;
  toolUse?: { toolUseId?: string; name?: string; input?: unknown; type?: string };
  reasoningContent?: {
    reasoningText?: { text?: string; signature?: string };
    /** Encrypted reasoning, base64 in JSON. */
    redactedContent?: string;
  };
}

/** Token counts as Bedrock reports them; input excludes cache reads and writes. */
export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** A non-streaming Converse response. */
export interface ConverseResponse {
  output?: { message?: { role?: string; content?: ConverseResponseBlock[] } };
  stopReason?: string;
  usage?: ConverseUsage;
}

/**
 * The JSON body of a Bedrock HTTP error, as far as it names the error: `message` (some services
 * spell it `Message`) and, when the `x-amzn-errortype` header is missing, `__type`.
 */
export interface BedrockErrorBody {
  message?: string;
  Message?: string;
  __type?: string;
}

/**
 * The JSON payload of one ConverseStream event (`messageStart`, `contentBlockDelta`, `metadata`, …)
 * or exception frame, as far as a chat chunk needs it. Fields are optional because each event type
 * carries only some.
 */
export interface ConverseStreamEvent {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId?: string; name?: string; type?: string } };
  delta?: {
    text?: string;
    toolUse?: { input?: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
  stopReason?: string;
  usage?: ConverseUsage;
  message?: string;
}
