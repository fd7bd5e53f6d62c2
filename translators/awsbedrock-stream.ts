/**
 * The state of one Bedrock ConverseStream response being turned into OpenAI chat chunks. It sees one
 * decoded AWS event-stream frame at a time (framing and CRCs are `shared/aws-eventstream.ts`'s job)
 * and reads its `:message-type` and `:event-type` / `:exception-type` headers and JSON payload.
 */
import {
  isServerToolUse,
  mapBedrockException,
  mapStopReason,
  usageFromConverse,
} from "./awsbedrock-helper";
import type { ConverseStreamEvent, ConverseUsage } from "./awsbedrock-types";
import type { TokenUsage } from "./types";
import { stringHeader, type EventStreamMessage } from "./shared/aws-eventstream";
import type { ChunkEmitter } from "./shared/chunk-emitter";
import { parseJsonObject } from "../lib/json-object";

/** A tool-use block being streamed. */
interface ToolBlock {
  /** Its OpenAI tool-call index. */
  index: number;
  /** Whether any argument bytes were sent for it. */
  sentArguments: boolean;
}

const decoder = new TextDecoder();

/**
 * Follows one ConverseStream. The first chunk carries `role`; tool-use blocks get OpenAI tool-call
 * indexes 0, 1, … in the order they start (whatever their Converse block index), with id and name in
 * their first delta and the partial JSON input after; `messageStop` gives the finish reason and
 * `metadata` the usage. An exception frame becomes an OpenAI error event, after which nothing is sent.
 * Reasoning text streams as `reasoning_content`; when the client wants reasoning blocks back, each
 * signed reasoning block is sent whole at its end, and redacted reasoning as it comes.
 */
export class ConverseStreamState {
  private readonly toolBlocks = new Map<number, ToolBlock>();
  /** Reasoning blocks being streamed, by Converse block index, when the client wants them back. */
  private readonly reasoningBlocks = new Map<number, { text: string; signature: string }>();
  private latestUsage: ConverseUsage | undefined;
  private started = false;
  private stopped = false;
  private failed = false;

  /**
   * @param thinkingBlocks whether each reasoning block, once it ends, is also sent whole with its
   *   signature, or as redacted reasoning (`thinking_blocks`), for the client to send back.
   */
  constructor(
    private readonly emit: ChunkEmitter,
    private readonly thinkingBlocks = false,
  ) {}

  /** Token usage from the `metadata` event (zero until it arrives). */
  usage(): TokenUsage {
    return usageFromConverse(this.latestUsage);
  }

  /** Handles one decoded frame. @throws Error when an event's payload is not a JSON object. */
  onMessage(message: EventStreamMessage): void {
    if (this.failed) return;
    const messageType = stringHeader(message.headers, ":message-type");
    if (messageType === "exception") {
      // The payload is `{"message": …}`; anything else is still an exception, told as it came.
      const text = decoder.decode(message.body);
      const payload = parseJsonObject(text) as ConverseStreamEvent | undefined;
      this.fail(stringHeader(message.headers, ":exception-type"), payload?.message ?? text);
      return;
    }
    if (messageType === "error") {
      // The event-stream protocol's own error frame: code and message are headers.
      const code = stringHeader(message.headers, ":error-code");
      this.fail(code, stringHeader(message.headers, ":error-message") ?? "");
      return;
    }
    const eventType = stringHeader(message.headers, ":event-type");
    if (messageType !== "event" || eventType === undefined) return;
    this.onEvent(eventType, this.payloadOf(message, eventType));
  }

  /**
   * Called when the upstream ended cleanly: a stream that never reached `messageStop` was cut short,
   * and the client hears so rather than taking a partial answer for a whole one.
   */
  end(): void {
    if (this.failed || this.stopped) return;
    this.fail(
      undefined,
      "the upstream stream ended before its messageStop event; the answer is incomplete.",
    );
  }

  private onEvent(eventType: string, payload: ConverseStreamEvent) {
    switch (eventType) {
      case "messageStart":
        this.start();
        return;
      case "contentBlockStart":
        this.onBlockStart(payload.contentBlockIndex ?? 0, payload.start);
        return;
      case "contentBlockDelta":
        this.onBlockDelta(payload.contentBlockIndex ?? 0, payload.delta);
        return;
      case "contentBlockStop":
        this.onBlockStop(payload.contentBlockIndex ?? 0);
        return;
      case "messageStop":
        this.start();
        this.stopped = true;
        this.emit.chunk({}, mapStopReason(payload.stopReason));
        return;
      case "metadata":
        if (payload.usage) this.latestUsage = payload.usage;
        return;
      default:
        // An event this translator does not know yet carries nothing a chat chunk needs.
        return;
    }
  }

  /** Sends the role chunk once, before anything else. */
  private start() {
    if (this.started) return;
    this.started = true;
    this.emit.chunk({ role: "assistant", content: "" });
  }

  private onBlockStart(blockIndex: number, start: ConverseStreamEvent["start"]) {
    const toolUse = start?.toolUse;
    if (!toolUse || isServerToolUse(toolUse)) return;
    this.start();
    const index = this.toolBlocks.size;
    this.toolBlocks.set(blockIndex, { index, sentArguments: false });
    this.emit.chunk({
      tool_calls: [
        {
          index,
          id: toolUse.toolUseId ?? "",
          type: "function",
          function: { name: toolUse.name ?? "", arguments: "" },
        },
      ],
    });
  }

  private onBlockDelta(blockIndex: number, delta: ConverseStreamEvent["delta"]) {
    if (delta?.text !== undefined) {
      this.start();
      if (delta.text !== "") this.emit.chunk({ content: delta.text });
    } else if (delta?.reasoningContent !== undefined) {
      this.onReasoningDelta(blockIndex, delta.reasoningContent);
    } else if (delta?.toolUse?.input) {
      const block = this.toolBlocks.get(blockIndex);
      if (!block) return;
      block.sentArguments = true;
      this.emit.chunk({
        tool_calls: [{ index: block.index, function: { arguments: delta.toolUse.input } }],
      });
    }
  }

  private onReasoningDelta(
    blockIndex: number,
    reasoning: NonNullable<NonNullable<ConverseStreamEvent["delta"]>["reasoningContent"]>,
  ) {
    const { text, signature, redactedContent } = reasoning;
    if (text !== undefined) {
      this.start();
      if (text !== "") this.emit.chunk({ reasoning_content: text });
    }
    if (!this.thinkingBlocks) return;
    if (redactedContent !== undefined) {
      this.start();
      this.emit.chunk({ thinking_blocks: [{ type: "redacted_thinking", data: redactedContent }] });
      return;
    }
    let block = this.reasoningBlocks.get(blockIndex);
    if (block === undefined) {
      block = { text: "", signature: "" };
      this.reasoningBlocks.set(blockIndex, block);
    }
    if (text !== undefined) block.text += text;
    if (signature !== undefined) block.signature += signature;
  }

  /**
   * A signed reasoning block is sent whole once it ends. A tool call streamed without input still
   * needs JSON arguments, as OpenAI always sends them.
   */
  private onBlockStop(blockIndex: number) {
    const reasoning = this.reasoningBlocks.get(blockIndex);
    if (reasoning !== undefined) {
      this.reasoningBlocks.delete(blockIndex);
      // Reasoning without a signature cannot be verified, so is not sent back.
      if (reasoning.signature === "") return;
      const { text: thinking, signature } = reasoning;
      this.emit.chunk({ thinking_blocks: [{ type: "thinking", thinking, signature }] });
      return;
    }
    const block = this.toolBlocks.get(blockIndex);
    if (!block || block.sentArguments) return;
    block.sentArguments = true;
    this.emit.chunk({ tool_calls: [{ index: block.index, function: { arguments: "{}" } }] });
  }

  private fail(name: string | undefined, message: string) {
    this.failed = true;
    const { type, code } = mapBedrockException(name, message, 500);
    this.emit.error({ type, message, code });
  }

  private payloadOf(message: EventStreamMessage, eventType: string): ConverseStreamEvent {
    const payload = message.body.length === 0 ? {} : parseJsonObject(decoder.decode(message.body));
    if (payload === undefined) {
      throw new Error(`the payload of the ${eventType} event is not a JSON object`);
    }
    return payload as ConverseStreamEvent;
  }
}
