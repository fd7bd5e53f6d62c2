/**
 * The state of one Anthropic Messages stream being turned into OpenAI chat chunks, shared by the
 * native and the Vertex AI translators. It sees one parsed SSE event at a time; reading bytes and
 * writing SSE is the caller's job.
 */
import { mapAnthropicStreamError, mapStopReason, usageFromAnthropic } from "./anthropic-helper";
import type { AnthropicStreamEvent, AnthropicUsage } from "./anthropic-types";
import type { TokenUsage } from "./types";
import type { ChunkEmitter } from "./shared/chunk-emitter";
import type { ReasoningBlock } from "./shared/reasoning";

/**
 * Follows one Anthropic stream. Tool-use blocks get OpenAI tool-call indexes 0, 1, … in the order
 * they start, whatever their Anthropic block index, and keep them for their argument deltas.
 */
export class AnthropicStreamState {
  private readonly toolIndexByBlock = new Map<number, number>();
  /** Reasoning blocks being streamed, by Anthropic block index, when the client wants them back. */
  private readonly reasoningByBlock = new Map<number, ReasoningBlock>();
  private readonly usageSoFar: AnthropicUsage = {};
  private failed = false;

  /**
   * @param thinkingBlocks whether each thinking block, once it ends, is also sent whole with its
   *   signature (`thinking_blocks`), for the client to send back.
   */
  constructor(
    private readonly emit: ChunkEmitter,
    private readonly thinkingBlocks = false,
  ) {}

  /** Token usage seen so far (input from `message_start`, output from `message_delta`). */
  usage(): TokenUsage {
    return usageFromAnthropic(this.usageSoFar);
  }

  /** True once an `error` event arrived; later events are ignored. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** Handles one SSE event (its `data` already JSON-parsed). */
  onEvent(payload: AnthropicStreamEvent): void {
    if (this.failed) return;
    switch (payload.type) {
      case "message_start":
        if (payload.message?.id) this.emit.setId(payload.message.id);
        this.mergeUsage(payload.message?.usage);
        this.emit.chunk({ role: "assistant", content: "" });
        return;
      case "content_block_start":
        this.onBlockStart(payload.index ?? 0, payload.content_block);
        return;
      case "content_block_delta":
        this.onBlockDelta(payload.index ?? 0, payload.delta);
        return;
      case "content_block_stop":
        this.onBlockStop(payload.index ?? 0);
        return;
      case "message_delta":
        this.mergeUsage(payload.usage);
        if (payload.delta?.stop_reason != null) {
          this.emit.chunk({}, mapStopReason(payload.delta.stop_reason));
        }
        return;
      case "error":
        this.failed = true;
        this.emit.error(mapAnthropicStreamError(payload.error));
        return;
      default:
        // ping and message_stop carry nothing a chat chunk needs.
        return;
    }
  }

  private onBlockStart(blockIndex: number, block: AnthropicStreamEvent["content_block"]) {
    if (block?.type === "tool_use") {
      const toolIndex = this.toolIndexByBlock.size;
      this.toolIndexByBlock.set(blockIndex, toolIndex);
      this.emit.chunk({
        tool_calls: [
          {
            index: toolIndex,
            id: block.id ?? "",
            type: "function",
            function: { name: block.name ?? "", arguments: "" },
          },
        ],
      });
    } else if (block?.type === "text" && block.text) {
      this.emit.chunk({ content: block.text });
    } else if (block?.type === "thinking") {
      if (block.thinking) this.emit.chunk({ reasoning_content: block.thinking });
      if (this.thinkingBlocks) {
        this.reasoningByBlock.set(blockIndex, {
          type: "thinking",
          thinking: block.thinking ?? "",
          signature: block.signature ?? "",
        });
      }
    } else if (block?.type === "redacted_thinking" && this.thinkingBlocks) {
      this.reasoningByBlock.set(blockIndex, { type: "redacted_thinking", data: block.data ?? "" });
    }
  }

  /** A reasoning block is sent whole once it ends, when its signature is known. */
  private onBlockStop(blockIndex: number) {
    const block = this.reasoningByBlock.get(blockIndex);
    if (block === undefined) return;
    this.reasoningByBlock.delete(blockIndex);
    this.emit.chunk({ thinking_blocks: [block] });
  }

  private onBlockDelta(blockIndex: number, delta: AnthropicStreamEvent["delta"]) {
    switch (delta?.type) {
      case "text_delta":
        if (delta.text) this.emit.chunk({ content: delta.text });
        return;
      case "thinking_delta": {
        if (!delta.thinking) return;
        this.emit.chunk({ reasoning_content: delta.thinking });
        const block = this.reasoningByBlock.get(blockIndex);
        if (block?.type === "thinking") block.thinking += delta.thinking;
        return;
      }
      case "signature_delta": {
        const block = this.reasoningByBlock.get(blockIndex);
        if (block?.type === "thinking") block.signature += delta.signature ?? "";
        return;
      }
      case "input_json_delta": {
        const index = this.toolIndexByBlock.get(blockIndex);
        if (index === undefined || !delta.partial_json) return;
        this.emit.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] });
        return;
      }
      default:
        // citations have no OpenAI chunk field.
        return;
    }
  }

  /** message_start carries input counts, message_delta cumulative output (and maybe input) counts. */
  private mergeUsage(usage: AnthropicUsage | undefined) {
    if (!usage) return;
    for (const key of [
      "input_tokens",
      "output_tokens",
      "cache_read_input_tokens",
      "cache_creation_input_tokens",
    ] as const) {
      const value = usage[key];
      if (typeof value === "number") this.usageSoFar[key] = value;
    }
    if (typeof usage.output_tokens_details?.thinking_tokens === "number") {
      this.usageSoFar.output_tokens_details = usage.output_tokens_details;
    }
  }
}
