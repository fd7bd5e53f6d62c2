/**
 * Reads Server-Sent Events from byte chunks split anywhere (mid-line, mid-UTF-8 character), with
 * `\n` or `\r\n` line ends, using `eventsource-parser`.
 */
import { createParser } from "eventsource-parser";

export interface SseEvent {
  data: string;
  event?: string;
}

export interface SseReader {
  push(chunk: Uint8Array): void;
  /** Flushes an event the stream ended without a blank line after. */
  end(): void;
}

export function createSseReader(onEvent: (event: SseEvent) => void): SseReader {
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: e => onEvent({ data: e.data, event: e.event }) });
  return {
    push(chunk) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    end() {
      parser.feed(`${decoder.decode()}\n\n`);
    },
  };
}
