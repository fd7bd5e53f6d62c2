/** Upstream bodies arrive compressed when the client asked for it; translators need them plain. */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { systemErrorCode } from "../lib/error-message";

/**
 * The most a body may decode to. Envoy bounds what it buffers by the compressed size, and a few KB
 * of gzip can decode to gigabytes; past this a provider's answer fails the request alone, rather
 * than the memory of a process that serves every request. The ext_proc server's messages hold as
 * much.
 */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

const LIMIT = { maxOutputLength: MAX_DECODED_BYTES };
const DECODERS: Record<string, (body: Uint8Array) => Uint8Array> = {
  gzip: body => gunzipSync(body, LIMIT),
  "x-gzip": body => gunzipSync(body, LIMIT),
  deflate: body => inflateSync(body, LIMIT),
  br: body => brotliDecompressSync(body, LIMIT),
};

/** Whether a body with this `content-encoding` must be decoded before it is read. */
export const isEncoded = (encoding: string | undefined) =>
  encoding !== undefined && encoding !== "" && encoding.toLowerCase() !== "identity";

/**
 * `body` decoded as `encoding` says (encodings applied in order are undone in reverse).
 * @throws Error naming the encoding when it is unknown or the body does not decode.
 */
export function decodeBody(body: Uint8Array, encoding: string | undefined): Uint8Array {
  if (!isEncoded(encoding)) return body;
  const codings = encoding!
    .split(",")
    .map(coding => coding.trim().toLowerCase())
    .filter(coding => coding && coding !== "identity")
    .reverse();
  return codings.reduce((bytes, coding) => {
    const decode = DECODERS[coding];
    if (!decode) throw new Error(`unsupported content-encoding "${coding}"`);
    try {
      return decode(bytes);
    } catch (error) {
      if (systemErrorCode(error) !== "ERR_BUFFER_TOO_LARGE") throw error;
      throw new Error(`its ${coding} body decodes to more than ${MAX_DECODED_BYTES / 2 ** 20} MiB`);
    }
  }, body);
}
