/** Upstream bodies arrive compressed when the client asked for it; translators need them plain. */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

const DECODERS: Record<string, (body: Uint8Array) => Uint8Array> = {
  gzip: body => gunzipSync(body),
  "x-gzip": body => gunzipSync(body),
  deflate: body => inflateSync(body),
  br: body => brotliDecompressSync(body),
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
    return decode(bytes);
  }, body);
}
