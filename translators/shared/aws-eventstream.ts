/**
 * Reads the AWS event stream (`application/vnd.amazon.eventstream`, the framing of Bedrock's
 * streaming APIs) from byte chunks split anywhere, including inside a frame's prelude.
 *
 * A frame is `[total length u32][headers length u32][prelude CRC32][headers][payload][message CRC32]`,
 * big-endian. This module only finds frame boundaries by the total length; `EventStreamCodec` decodes
 * each whole frame and checks both CRCs. (The codec's own `feed()` needs whole frames, so it cannot
 * frame a network stream itself.)
 */
import { crc32 } from "node:zlib";
import { EventStreamCodec, type Message, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8 } from "@smithy/util-utf8";
import type { StreamEventReader } from "./chat-translation";
import { errorMessage } from "../../lib/error-message";

/** One decoded frame: typed headers and the raw payload. */
export type EventStreamMessage = Message;

/** `[total length][headers length][prelude CRC]` */
const PRELUDE_BYTES = 12;
/** The prelude plus the trailing message CRC: the size of a frame with no headers and no payload. */
const MIN_FRAME_BYTES = 16;
/** The format's limits: 16 MiB of payload and 128 KiB of headers per frame. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 128 * 1024;

/** Header texts remembered per reader; more distinct ones than this are decoded every time. */
const MAX_REMEMBERED_HEADER_TEXTS = 32;

/**
 * The text decoder the codec calls for every header name and string value. Those repeat in every
 * frame (`:event-type`, `:message-type`, `event`, `contentBlockDelta`, …), and comparing a few bytes
 * with the ones seen before costs less than decoding them again: decoding them took a quarter of the
 * codec's time per frame. New texts are decoded with a `TextDecoder`, which reads short strings in
 * half the time of `@smithy/util-utf8`'s `toUtf8` (that wraps each one in a `Buffer` first).
 */
function createHeaderTextDecoder(): (bytes: Uint8Array) => string {
  // ignoreBOM keeps a leading U+FEFF, as `toUtf8` did; the default would drop it.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const remembered: { bytes: Uint8Array; text: string }[] = [];
  return bytes => {
    for (const entry of remembered) {
      if (sameBytes(entry.bytes, bytes)) return entry.text;
    }
    const text = decoder.decode(bytes);
    if (remembered.length < MAX_REMEMBERED_HEADER_TEXTS) {
      // A copy: the codec hands over views of the frame.
      remembered.push({ bytes: bytes.slice(), text });
    }
    return text;
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The bytes received and not yet framed, as the chunks they came in. A frame that lies within one
 * chunk is read in place; only a frame split across chunks is copied, into an array of its own size.
 */
class ChunkQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes queued. */
  length = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `count` (≤ `length`) bytes as one array, without consuming them. */
  peek(count: number): Uint8Array {
    const first = this.chunks[0];
    if (first.length >= count) return first.subarray(0, count);
    const bytes = new Uint8Array(count);
    let filled = 0;
    for (const chunk of this.chunks) {
      const piece = chunk.subarray(0, count - filled);
      bytes.set(piece, filled);
      filled += piece.length;
      if (filled === count) break;
    }
    return bytes;
  }

  /** Drops the first `count` (≤ `length`) bytes. */
  consume(count: number): void {
    this.length -= count;
    let left = count;
    while (left > 0) {
      const first = this.chunks[0];
      if (first.length > left) {
        this.chunks[0] = first.subarray(left);
        return;
      }
      left -= first.length;
      this.chunks.shift();
    }
  }
}

/**
 * Creates a reader that calls `onMessage` once per whole, CRC-checked frame.
 *
 * `push` throws when a frame cannot be trusted: a prelude whose CRC fails (checked as soon as its 12
 * bytes are in, so a corrupted length never makes the reader wait for bytes that will not come), a
 * length outside the format's limits, or a frame the codec rejects (message CRC, malformed headers).
 * `end` throws when the stream stops inside a frame. After a throw the reader must not be used again.
 * The payload a message carries is a view of the pushed bytes, valid while they are.
 */
export function createEventStreamReader(
  onMessage: (message: EventStreamMessage) => void,
): StreamEventReader {
  const codec = new EventStreamCodec(createHeaderTextDecoder(), fromUtf8);
  const pending = new ChunkQueue();
  /** The next frame's total length, once its prelude has been read and checked. */
  let frameBytes: number | undefined;
  let framesRead = 0;
  let streamOffset = 0;

  /** Names the frame being read, for error messages. */
  const whereFrame = () => `event-stream frame ${framesRead + 1} (at byte ${streamOffset})`;

  const readPrelude = (bytes: Uint8Array): number => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, PRELUDE_BYTES);
    const total = view.getUint32(0);
    const headers = view.getUint32(4);
    if (crc32(bytes.subarray(0, 8)) !== view.getUint32(8)) {
      throw new Error(`${whereFrame()} is corrupt: its prelude checksum does not match`);
    }
    if (
      total < MIN_FRAME_BYTES ||
      headers > MAX_HEADER_BYTES ||
      headers > total - MIN_FRAME_BYTES ||
      total - headers - MIN_FRAME_BYTES > MAX_PAYLOAD_BYTES
    ) {
      throw new Error(
        `${whereFrame()} is malformed: it declares ${total} bytes with ${headers} bytes of headers`,
      );
    }
    return total;
  };

  const readFrames = () => {
    for (;;) {
      if (frameBytes === undefined) {
        if (pending.length < PRELUDE_BYTES) return;
        frameBytes = readPrelude(pending.peek(PRELUDE_BYTES));
      }
      if (pending.length < frameBytes) return;
      let message: EventStreamMessage;
      try {
        message = codec.decode(pending.peek(frameBytes));
      } catch (error) {
        throw new Error(`${whereFrame()} is corrupt: ${errorMessage(error)}`);
      }
      pending.consume(frameBytes);
      streamOffset += frameBytes;
      framesRead++;
      frameBytes = undefined;
      onMessage(message);
    }
  };

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      pending.push(chunk);
      readFrames();
    },
    end() {
      if (pending.length === 0) return;
      const expected = frameBytes === undefined ? "" : ` of ${frameBytes}`;
      throw new Error(
        `the stream ended inside ${whereFrame()}, after ${pending.length}${expected} bytes`,
      );
    },
  };
}

/** A header's value when it is a string header, else undefined. */
export function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const header = headers[name];
  return header?.type === "string" ? header.value : undefined;
}
