/**
 * The parts of turning OpenAI `messages` into a provider's conversation that Anthropic, Bedrock
 * Converse and Gemini share: merging same-role turns, and reading tool-call arguments and text.
 */
import { badRequest } from "../errors";
import { parseJsonObject } from "../../lib/json-object";
import type { AssistantContentPart, ChatContentPart, ChatToolCall } from "./openai-chat";

/** A provider turn: a role and its blocks under `key` (`content`, or Gemini's `parts`). */
export type Turn<K extends string, R, B> = { role: R } & { [P in K]: B[] };

/**
 * Appends one message's blocks to a conversation as a turn of `role`. These providers reject two
 * consecutive turns of the same role, so blocks of the role of the last turn are merged into it; an
 * empty list adds nothing.
 */
export function appendTurn<K extends string, R, B>(
  turns: Turn<K, R, B>[],
  key: K,
  role: NoInfer<R>,
  blocks: NoInfer<B>[],
): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) {
    (last[key] as B[]).push(...blocks);
    return;
  }
  // Not `{ role, [key]: blocks }`: V8 builds a literal with a computed key through a slow runtime
  // path once the key varies, which took a microsecond per request.
  const turn = { role } as Turn<K, R, B>;
  (turn as Record<K, B[]>)[key] = blocks;
  turns.push(turn);
}

/**
 * A tool call's `arguments` as the JSON object the providers take (`{}` for blank arguments).
 * @throws TranslationError (400) naming `<field>.function.arguments` when they are not a JSON object.
 */
export function toolCallArguments(call: ChatToolCall, field: string): Record<string, unknown> {
  const args = parseToolJson(call.function.arguments);
  if (args === undefined) {
    throw badRequest(
      `${field}.function.arguments must be a JSON object.`,
      `${field}.function.arguments`,
    );
  }
  return args;
}

/**
 * Tool-call arguments or a tool's output as a JSON object: `{}` for blank text (a call without
 * arguments), undefined when the text is not a JSON object.
 */
export function parseToolJson(text: string): Record<string, unknown> | undefined {
  return text.trim() === "" ? {} : parseJsonObject(text);
}

/** The text of a message's content; parts other than text are left out. */
export function textOf(content: string | ChatContentPart[]): string {
  if (typeof content === "string") return content;
  return content.map(part => (part.type === "text" ? part.text : "")).join("");
}

/**
 * The text an assistant content part stands for in a provider's text block: its text, or what a
 * refusal said (OpenAI SDKs replay a refused turn as a `refusal` part, and no other provider has a
 * refusal block); undefined for a part that is not text.
 */
export function assistantPartText(part: AssistantContentPart): string | undefined {
  if (part.type === "text") return part.text;
  if (part.type === "refusal") return part.refusal;
  return undefined;
}
