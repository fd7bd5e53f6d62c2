/**
 * AWS Signature Version 4 (header signing, AWS4-HMAC-SHA256), written for the one kind of request
 * the gateway signs: a Bedrock call whose signed headers are `host`, `content-type` and the
 * `x-amz-*` headers added here. It signs on every Bedrock request, so it hashes with node:crypto
 * synchronously and keeps the day's signing key; `@smithy/signature-v4`, which it replaces, spent
 * some 20 µs more per 4 KB request on copying the request, awaiting each hash and deriving the key's
 * cache entry with an HMAC. The canonical form follows AWS's specification as that signer applies
 * it with `uriEscapePath`: the path normalized and escaped once more, the query's parameters
 * escaped and sorted, header values with their whitespace folded.
 */
import { createHash, createHmac } from "node:crypto";

/** What a request is signed with. */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request as SigV4 sees it. */
export interface SignableRequest {
  method: string;
  /** The path as sent on the wire, without the query. */
  path: string;
  /** The query's parameters, decoded; a repeated one as a list. */
  query: Record<string, string | string[]>;
  /** The headers to sign, `host` among them. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface SigV4Options {
  credentials: SigningCredentials | (() => Promise<SigningCredentials>);
  region: string;
  service: string;
  /** Sign and send the body's hash as `x-amz-content-sha256` (every AWS service but S3 accepts it). */
  applyChecksum: boolean;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

/** Headers a signature never covers: proxies and clients change them on the way. */
const UNSIGNABLE = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

export class SigV4Signer {
  /** The signing key of the last day, region and secret signed with: it changes once a day. */
  private key?: { scope: string; secret: string; value: Buffer };

  constructor(private readonly options: SigV4Options) {}

  /**
   * The request's headers with `x-amz-date`, `x-amz-security-token` (for temporary credentials),
   * `x-amz-content-sha256` (with `applyChecksum`) and `authorization` added.
   * @throws Error when the credentials lack a key id or secret.
   */
  async sign(
    request: SignableRequest,
    { signingDate }: { signingDate: Date },
  ): Promise<{ headers: Record<string, string> }> {
    const { credentials: source, region, service } = this.options;
    const credentials = typeof source === "function" ? await source() : source;
    if (
      typeof credentials?.accessKeyId !== "string" ||
      typeof credentials.secretAccessKey !== "string"
    ) {
      throw new Error("Resolved credential object is not valid");
    }
    const longDate = signingDate
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z")
      .replace(/[-:]/g, "");
    const shortDate = longDate.slice(0, 8);
    const scope = `${shortDate}/${region}/${service}/aws4_request`;
    const headers: Record<string, string> = { ...request.headers, "x-amz-date": longDate };
    if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
    const payloadHash = createHash("sha256").update(request.body).digest("hex");
    if (this.options.applyChecksum) headers["x-amz-content-sha256"] = payloadHash;

    const canonical = canonicalHeaders(headers);
    const signedHeaders = canonical.map(([name]) => name).join(";");
    const canonicalRequest = [
      request.method,
      canonicalPath(request.path),
      canonicalQuery(request.query),
      ...canonical.map(([name, value]) => `${name}:${value}`),
      "",
      signedHeaders,
      payloadHash,
    ].join("\n");
    const stringToSign = [
      ALGORITHM,
      longDate,
      scope,
      createHash("sha256").update(canonicalRequest).digest("hex"),
    ].join("\n");
    const signature = createHmac("sha256", this.signingKey(credentials.secretAccessKey, scope))
      .update(stringToSign)
      .digest("hex");
    headers.authorization =
      `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return { headers };
  }

  private signingKey(secret: string, scope: string): Buffer {
    if (this.key?.scope !== scope || this.key.secret !== secret) {
      let value: Buffer | string = `AWS4${secret}`;
      for (const part of scope.split("/"))
        value = createHmac("sha256", value).update(part).digest();
      this.key = { scope, secret, value: value as Buffer };
    }
    return this.key.value;
  }
}

/** RFC 3986 escaping: encodeURIComponent, and the sub-delimiters it leaves as they are. */
const escapeUri = (text: string) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * The path without empty, `.` and `..` segments, escaped (again: it arrives escaped once). A path
 * is absolute: an empty one is `/`.
 */
function canonicalPath(relative: string): string {
  const path = relative.startsWith("/") ? relative : `/${relative}`;
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized =
    "/" + segments.join("/") + (segments.length > 0 && path.endsWith("/") ? "/" : "");
  return escapeUri(normalized).replace(/%2F/g, "/");
}

/** `name=value` pairs, escaped, sorted by name, a repeated name's pairs sorted among themselves. */
function canonicalQuery(query: Record<string, string | string[]>): string {
  const pairs = new Map<string, string>();
  for (const [name, value] of Object.entries(query)) {
    if (name.toLowerCase() === "x-amz-signature") continue;
    const key = escapeUri(name);
    const values = typeof value === "string" ? [value] : value;
    pairs.set(
      key,
      values
        .map(v => `${key}=${escapeUri(v)}`)
        .sort()
        .join("&"),
    );
  }
  return [...pairs.keys()]
    .sort()
    .map(key => pairs.get(key)!)
    .filter(pair => pair !== "")
    .join("&");
}

/** The signable headers as sorted `[lower-case name, value with whitespace folded]` pairs. */
function canonicalHeaders(headers: Record<string, string>): [string, string][] {
  const canonical = new Map<string, string>();
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    if (UNSIGNABLE.has(lower) || lower.startsWith("proxy-") || lower.startsWith("sec-")) continue;
    canonical.set(
      lower,
      headers[name]
        .replace(/[\r\n]/g, " ")
        .replace(/[ \t]+/g, " ")
        .replace(/^ | $/g, ""),
    );
  }
  return [...canonical].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
