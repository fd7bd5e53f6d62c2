/**
 * Prompt-cache breakpoints (`cache_control`) as clients send them on messages, content parts and
 * tools, read the same way for every provider that caches explicitly (Anthropic's `cache_control`,
 * Bedrock Converse's `cachePoint`).
 */
import type {
  AssistantContentPart,
  CacheControl,
  ChatContentPart,
  ChatTool,
  ToolMessage,
} from "./openai-chat";

/** A content part's breakpoint; reasoning parts cannot be one. */
export function partCacheControl(
  part: ChatContentPart | AssistantContentPart,
): CacheControl | undefined {
  if (part.type === "thinking" || part.type === "redacted_thinking") return undefined;
  return part.cache_control ?? undefined;
}

/**
 * A tool's breakpoint: beside `function`, where Anthropic-style clients put it, or inside it, where
 * Envoy AI Gateway reads it.
 */
export function toolCacheControl(tool: ChatTool): CacheControl | undefined {
  return tool.cache_control ?? tool.function.cache_control ?? undefined;
}

/**
 * The breakpoint of a tool message, which becomes one tool-result block: the message's own, else the
 * last one on its parts.
 */
export function toolResultCacheControl(message: ToolMessage): CacheControl | undefined {
  if (message.cache_control) return message.cache_control;
  if (typeof message.content === "string") return undefined;
  return message.content.findLast(part => part.cache_control)?.cache_control ?? undefined;
}
