/**
 * An independent SigV4 verifier (node:crypto only), written from the published algorithm to check
 * what the signer produced: canonical request -> string to sign -> HMAC key chain -> signature.
 */
import { createHash, createHmac } from "node:crypto";

export interface SignedRequest {
  method: string;
  /** The raw request target as sent on the wire: encoded path plus optional query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Verification {
  ok: boolean;
  reason?: string;
  canonicalRequest: string;
  expected?: string;
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper-case hex). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const sha256Hex = (data: string | Buffer): string =>
  createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac("sha256", key).update(data, "utf8").digest();

/** The canonical URI for non-S3 services: each already-encoded segment is encoded again. */
function canonicalURI(rawPath: string): string {
  return rawPath
    .split("/")
    .map(segment => rfc3986(segment))
    .join("/");
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  return rawQuery
    .split("&")
    .map(pair => {
      const eq = pair.indexOf("=");
      const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
      return [rfc3986(key), rfc3986(value)] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

function headerValue(headers: SignedRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** Checks the `Authorization` header of `request` against the secret `secretFor` returns. */
export function verifySigV4(
  request: SignedRequest,
  secretFor: (accessKeyId: string) => string | undefined,
): Verification {
  const authorization = headerValue(request.headers, "authorization") ?? "";
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return { ok: false, reason: "malformed authorization", canonicalRequest: "" };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match;
  const amzDate = headerValue(request.headers, "x-amz-date") ?? "";
  const queryStart = request.url.indexOf("?");
  const rawPath = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? "" : request.url.slice(queryStart + 1);
  const signedHeaders = signedHeaderList.split(";");
  const canonicalHeaders = signedHeaders
    .map(
      name => `${name}:${(headerValue(request.headers, name) ?? "").trim().replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const payloadHash = sha256Hex(request.body);
  const declaredHash = headerValue(request.headers, "x-amz-content-sha256");
  if (declaredHash !== undefined && declaredHash !== payloadHash) {
    return {
      ok: false,
      reason: "x-amz-content-sha256 does not match the body",
      canonicalRequest: "",
    };
  }
  const canonicalRequest = [
    request.method,
    canonicalURI(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return { ok: false, reason: "unknown access key", canonicalRequest };
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  return expected === signature
    ? { ok: true, canonicalRequest, expected }
    : { ok: false, reason: "signature mismatch", canonicalRequest, expected };
}

/**
 * Checks the signature a handler's `authenticate` gave a JSON request: the request as it reaches
 * AWS, with the host and the headers the handler set.
 */
export function verifyAuthenticated(
  request: { method: string; body: Uint8Array },
  result: { path: string; host?: string; headers: { set: Record<string, string> } },
  secretFor: (accessKeyId: string) => string | undefined,
): Verification {
  return verifySigV4(
    {
      method: request.method,
      url: result.path,
      headers: { host: result.host, "content-type": "application/json", ...result.headers.set },
      body: Buffer.from(request.body),
    },
    secretFor,
  );
}
