/**
 * Conversions between the pipeline's terms and ext_proc messages: header maps in, header
 * mutations and immediate responses out, token costs as dynamic metadata.
 */
import { METADATA_NAMESPACE } from "../contract/route-config";
import type { HeaderMutation } from "../lib/header-mutation";
import type { GatewayAnswer } from "../pipeline/answer";
import {
  headerValue,
  type HeaderMap,
  type HeaderMutation as ProtoHeaderMutation,
  type ImmediateResponse,
  type Struct,
} from "./protocol";

/** The headers of a phase, lower-case names; a repeated header's values joined with ", ". */
export function headersOf(map: HeaderMap | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of map?.headers ?? []) {
    const name = (header.key ?? "").toLowerCase();
    const value = headerValue(header);
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/**
 * Our mutation as Envoy's: every set overwrites (the default would append, and a client's
 * `authorization` would survive beside ours), values as raw bytes.
 */
export function protoHeaderMutation(mutation: HeaderMutation): ProtoHeaderMutation {
  return {
    set_headers: Object.entries(mutation.set).map(([key, value]) => ({
      header: { key, raw_value: Buffer.from(value) },
      append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
    })),
    remove_headers: mutation.remove.filter(name => !(name in mutation.set)),
  };
}

/**
 * The bytes as a Buffer over the same memory. `Buffer.from(uint8Array)` copies; the answers' body
 * fields are typed Buffer for the readers of decoded messages, and protobufjs copies them into the
 * message once anyway.
 */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** An answer of the gateway as Envoy's local reply. */
export function immediateResponse(answer: GatewayAnswer, details: string): ImmediateResponse {
  return {
    status: { code: answer.status },
    headers: protoHeaderMutation({ set: answer.headers, remove: [] }),
    body: asBuffer(answer.body),
    details,
  };
}

/** Values in the gateway's metadata namespace, where Envoy Gateway's rate limits read costs. */
export function dynamicMetadata(values: Record<string, number | string>): Struct {
  return {
    fields: {
      [METADATA_NAMESPACE]: {
        structValue: {
          fields: Object.fromEntries(
            Object.entries(values).map(([key, value]) => [
              key,
              typeof value === "number" ? { numberValue: value } : { stringValue: value },
            ]),
          ),
        },
      },
    },
  };
}
