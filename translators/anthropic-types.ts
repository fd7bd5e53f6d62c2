/**
 * The Anthropic Messages API wire shapes (JSON, snake_case), shared by the native API and Anthropic
 * on Vertex AI. Only the fields the translators write or read are spelled out.
 */

/**
 * A prompt-cache breakpoint: the prompt up to and including the block (or tool) that carries it is
 * cached, for 5 minutes unless `ttl` says 1 hour.
 */
export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

/** A text block, as messages and `system` hold it. */
export interface AnthropicTextBlock {
  type: "text";
  text: string;
  cache_control?: AnthropicCacheControl;
}

/** A content block of a request message. Reasoning blocks cannot be cache breakpoints. */
export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | {
      type: "image";
      source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
      cache_control?: AnthropicCacheControl;
    }
  | {
      type: "tool_use";
      id: string;
      name: string;
      input: Record<string, unknown>;
      cache_control?: AnthropicCacheControl;
    }
  | {
      type: "tool_result";
      tool_use_id: string;
      content: string;
      cache_control?: AnthropicCacheControl;
    }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

/** The blocks that can be cache breakpoints: all but reasoning. */
export type AnthropicCacheableBlock = Extract<AnthropicRequestBlock, { cache_control?: unknown }>;

/** One tool offered in `tools`. */
export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

/** One request message. */
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicRequestBlock[];
}

/** `tool_choice` as Anthropic spells it. */
export type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "none" }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean };

/** The Messages request body, without the fields that differ per API (`model`, `anthropic_version`). */
export interface AnthropicRequestBody {
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: AnthropicTextBlock[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  metadata?: { user_id: string };
  /** The client's Anthropic-style `thinking` object as it came, or one built from an effort. */
  thinking?: { type: string; budget_tokens?: number };
  output_config?: {
    effort?: string;
    /** Structured output: the answer's text is JSON valid against `schema`. */
    format?: { type: "json_schema"; schema: Record<string, unknown> };
  };
  stream?: boolean;
}

/** A content block of a response message. */
export interface AnthropicResponseBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  /** A `redacted_thinking` block's encrypted reasoning. */
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** Token counts as Anthropic reports them; input excludes cached input. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** A non-streaming Messages response. */
export interface AnthropicResponse {
  id?: string;
  type?: string;
  content?: AnthropicResponseBlock[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** Anthropic's error body (also the payload of an `error` stream event). */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
}

/**
 * The `data` of one Messages stream event (`message_start`, `content_block_delta`, `error`, …), as
 * far as a chat chunk needs it. Fields are optional because each event type carries only some.
 */
export interface AnthropicStreamEvent {
  type?: string;
  index?: number;
  message?: { id?: string; usage?: AnthropicUsage };
  content_block?: {
    type?: string;
    id?: string;
    name?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    data?: string;
  };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    signature?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}
