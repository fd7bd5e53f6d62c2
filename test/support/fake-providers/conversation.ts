/**
 * What every fake model says, whatever its wire format: a reply that echoes the last user text (so a
 * test can tell which request and which provider it came from), a tool call when asked for one, and
 * token counts that follow from the texts. Everything is a pure function of the request, so answers
 * repeat between runs.
 */
import type { ProviderReply } from "./types";

/** The fixed `created` / timestamp the fakes report: answers must not depend on the clock. */
export const FIXED_CREATED = 1_746_180_131;
export const FIXED_CREATE_TIME = "2025-05-02T10:02:11.123456Z";

/** A last user message that matches this, in a request that offers tools, gets a tool call. */
export const TOOL_TRIGGER = /call a tool/i;

/** What the fake model answers in text. */
export function replyText(kind: string, lastUserText: string): string {
  return `reply from ${kind} to: ${lastUserText}`;
}

/** The text that comes with a tool call (Anthropic and Bedrock models say something first). */
export function toolPreamble(toolName: string): string {
  return `Calling ${toolName}.`;
}

/** The arguments of the fake tool call: they echo the request too. */
export function toolArguments(lastUserText: string): Record<string, unknown> {
  return { request: lastUserText };
}

/** About four characters a token, as for English text; never zero. */
export function tokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The answer split as models stream it: one word (with its trailing space) a delta. */
export function textDeltas(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

/** JSON text split into pieces of `size` characters, as tool arguments are streamed. */
export function jsonPieces(json: string, size = 8): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < json.length; start += size)
    pieces.push(json.slice(start, start + size));
  return pieces;
}

/** The text of a message content that is either a string or a list of typed blocks. */
export function textOfContent(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map(block =>
      isRecord(block) && typeof block.text === "string" && (block.type ?? "text") === "text"
        ? block.text
        : "",
    )
    .filter(text => text !== "")
    .join("\n");
}

/**
 * Input tokens split as a provider with explicit prompt caching reports them: the text of `blocks`
 * (system, then messages, in prompt order) up to the last one `endsPrefix` picks is written to the
 * cache, the rest is plain input. A pure function of the request, so every marked request writes
 * (none reads); the total is the same as without markers.
 */
export function cacheSplit(
  inputTokens: number,
  blocks: unknown[],
  endsPrefix: (block: unknown) => boolean,
): { input: number; cacheWrite: number } {
  const end = blocks.findLastIndex(endsPrefix);
  const prefix = textOfContent(blocks.slice(0, end + 1));
  const cacheWrite = prefix === "" ? 0 : Math.min(tokenCount(prefix), inputTokens);
  return { input: inputTokens - cacheWrite, cacheWrite };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The items of an array field, or none. */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A JSON reply with a content length, as every provider sends its complete answers. */
export function jsonReply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ProviderReply {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    pieces: [Buffer.from(JSON.stringify(body))],
    stream: false,
  };
}

/** A server-sent-events reply, one write per event. */
export function sseReply(events: string[], headers: Record<string, string> = {}): ProviderReply {
  return {
    status: 200,
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
    },
    pieces: events.map(event => Buffer.from(event)),
    stream: true,
  };
}

/**
 * Bytes a JSON or SSE reader must reject: a body cut off inside a value, with bytes that are not
 * UTF-8 in it, the way a broken proxy or a truncated error page reaches a client.
 */
export function textGarbage(reply: ProviderReply): Buffer {
  const invalid = Buffer.from([0xff, 0xfe, 0xfd]);
  if (reply.headers["content-type"]?.startsWith("text/event-stream")) {
    return Buffer.concat([Buffer.from('data: {"id": "'), invalid, Buffer.from('", broken\n\n')]);
  }
  return Buffer.concat([Buffer.from('{"id": "'), invalid, Buffer.from("<html><body>Bad Gat")]);
}
