/**
 * SHA-256 and HMAC-SHA256 for the SigV4 signer, backed by node:crypto. The signer hashes every
 * request body; the pure-JS `@aws-crypto/sha256-js` does that an order of magnitude slower
 * (`npm run bench:auth` shows both).
 */
import { createHash, createHmac, Hash, Hmac } from "node:crypto";

/** What the signer passes as data or key (the signer's own `SourceData`). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(new Uint8Array(data));
}

/** A `Checksum` for `SignatureV4({ sha256: NodeSha256 })`: a hash, or an HMAC when given a key. */
export class NodeSha256 {
  private state: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.state = this.fresh();
  }

  update(data: Uint8Array): void {
    this.state.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.state.digest()));
  }

  reset(): void {
    this.state = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", toBuffer(this.secret));
  }
}
