/**
 * The state of one Gemini `streamGenerateContent?alt=sse` stream being turned into OpenAI chat
 * chunks. Each SSE event is a whole `GenerateContentResponse` holding the next slice of every
 * candidate; the last one carries `finishReason` and the final `usageMetadata`.
 */
import {
  failedToolCallError,
  mapFinishReason,
  mapGoogleError,
  openAILogprobsOf,
  openAIToolCallOf,
  sortParts,
  usageFromGemini,
  type PendingThought,
} from "./gemini-helper";
import type { GeminiStreamEvent, GeminiUsageMetadata } from "./gemini-types";
import type { TokenUsage } from "./types";
import type { ChunkDelta, ChunkEmitter } from "./shared/chunk-emitter";

interface CandidateProgress {
  /** Tool calls emitted so far: the next one's OpenAI index. */
  toolCalls: number;
  /** Thought text since the last signature. */
  pending: PendingThought;
}

/**
 * Follows one Gemini stream. Each candidate becomes the OpenAI choice with its index; its first chunk
 * carries `role`, and its function calls get tool-call indexes 0, 1, … and ids from `newId`.
 */
export class GeminiStreamState {
  private readonly progress = new Map<number, CandidateProgress>();
  private usageMetadata: GeminiUsageMetadata | undefined;
  private failed = false;

  /**
   * @param thinkingBlocks whether signed thoughts are also sent as reasoning blocks with their
   *   signatures (`thinking_blocks`), for the client to send back.
   */
  constructor(
    private readonly emit: ChunkEmitter,
    private readonly newId: () => string,
    private readonly thinkingBlocks = false,
  ) {}

  /** Token usage from the latest `usageMetadata` seen. */
  usage(): TokenUsage {
    return usageFromGemini(this.usageMetadata);
  }

  /** Handles one SSE event's JSON: a response slice, or a Google error object. */
  onEvent(event: GeminiStreamEvent) {
    if (this.failed) return;
    if (event.error) {
      this.failed = true;
      this.emit.error(mapGoogleError(500, JSON.stringify({ error: event.error })));
      return;
    }
    if (event.responseId) this.emit.setId(event.responseId);
    if (event.usageMetadata) this.usageMetadata = event.usageMetadata;
    const candidates = event.candidates ?? [];
    if (candidates.length === 0 && event.promptFeedback?.blockReason) {
      this.emit.chunk({ role: "assistant", content: "" }, "content_filter");
      return;
    }
    candidates.forEach((candidate, position) => {
      const index = candidate.index ?? position;
      const known = this.progress.get(index);
      const progress = known ?? { toolCalls: 0, pending: { text: "" } };
      if (!known) this.progress.set(index, progress);
      const delta = this.deltaOf(candidate.content?.parts, progress, !known);
      // Each event's logprobsResult covers the tokens of that event: they go with its delta.
      const logprobs = openAILogprobsOf(candidate.logprobsResult);
      if (Object.keys(delta).length > 0 || logprobs !== null) {
        this.emit.chunk(delta, null, index, logprobs);
      }
      const failed = failedToolCallError(candidate);
      if (failed) {
        this.failed = true;
        this.emit.error(failed);
        return;
      }
      if (candidate.finishReason) {
        this.emit.chunk({}, mapFinishReason(candidate.finishReason, progress.toolCalls > 0), index);
      }
    });
  }

  private deltaOf(
    parts: Parameters<typeof sortParts>[0],
    progress: CandidateProgress,
    first: boolean,
  ): ChunkDelta {
    const sorted = sortParts(parts, progress.pending);
    const delta: ChunkDelta = first ? { role: "assistant" } : {};
    if (sorted.reasoning) delta.reasoning_content = sorted.reasoning;
    if (sorted.content || first) delta.content = sorted.content;
    if (this.thinkingBlocks && sorted.thinkingBlocks.length > 0) {
      delta.thinking_blocks = sorted.thinkingBlocks;
    }
    if (sorted.functionCalls.length > 0) {
      delta.tool_calls = sorted.functionCalls.map(call => ({
        index: progress.toolCalls++,
        ...openAIToolCallOf(call, this.newId()),
      }));
    }
    return delta;
  }
}
