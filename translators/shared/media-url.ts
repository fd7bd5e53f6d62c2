/**
 * Reading the `url` of an OpenAI `image_url` content part: either an inline `data:` URI or a link the
 * provider fetches itself. Providers want the two spelled differently, and links need a MIME type
 * that OpenAI never sends, so it is inferred from the file extension.
 */

/** An inline `data:<mime>;base64,<data>` URI, split into its parts. */
export interface InlineMedia {
  kind: "inline";
  mimeType: string;
  /** The base64 payload, unchanged. */
  data: string;
}

/** A link (`https:`, `http:` or `gs:`) for the provider to fetch. */
export interface LinkedMedia {
  kind: "link";
  url: string;
  /** Inferred from the extension; undefined when the extension is not one we know. */
  mimeType: string | undefined;
}

/** The two kinds of media reference an OpenAI request can carry. */
export type MediaReference = InlineMedia | LinkedMedia;

/** File extensions the providers accept, by the MIME type they must be declared as. */
const MIME_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  txt: "text/plain",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
};

const DATA_URI = /^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$/s;
const LINK_SCHEMES = ["https:", "http:", "gs:"];

/**
 * Parses an `image_url.url`. Returns undefined for anything that is neither a base64 data URI nor
 * an http(s)/gs link, so the caller can report the field it came from.
 */
export function parseMediaUrl(url: string): MediaReference | undefined {
  const inline = DATA_URI.exec(url);
  if (inline) return { kind: "inline", mimeType: inline[1].toLowerCase(), data: inline[3] };
  if (!LINK_SCHEMES.some(scheme => url.toLowerCase().startsWith(scheme))) return undefined;
  return { kind: "link", url, mimeType: mimeTypeFromPath(url) };
}

/** The MIME type for a link's file extension (query and fragment ignored), if it is a known one. */
export function mimeTypeFromPath(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0];
  const lastSegment = path.slice(path.lastIndexOf("/") + 1);
  const dot = lastSegment.lastIndexOf(".");
  if (dot < 0) return undefined;
  return MIME_TYPE_BY_EXTENSION[lastSegment.slice(dot + 1).toLowerCase()];
}
