/**
 * The Envoy external-processing (ext_proc) protocol, as the data plane's gRPC server speaks it.
 *
 * The messages come from `proto/`: a wire-compatible subset of Envoy's own .proto files, written for
 * this project (test/go/extproc-proto.test.ts checks it against Envoy's compiled descriptors). They
 * are loaded once, on first use, with proto-loader, and the types below describe the objects
 * proto-loader hands over and accepts with the options used here:
 *
 * - field names are snake_case, as in the .proto (`keepCase`), except inside the google.protobuf
 *   well-known types (`Struct`, `Value`), whose definitions come from protobufjs and are camelCase:
 *   write `{ stringValue: "x" }`, never `{ string_value: "x" }` (which encodes silently as an empty
 *   Value);
 * - `bytes` fields decode to `Buffer` (and accept a Buffer or Uint8Array when sending);
 * - enums decode to their name, or to the number for a value this subset does not declare; when
 *   sending, a name or a number is accepted;
 * - 64-bit integers decode to decimal strings (`longs: String`);
 * - fields at their default value (0, "", false, empty list or map, unset message) are absent
 *   (`defaults: false`), so every field is optional;
 * - a oneof's members are plain fields, and a decoded message also carries the oneof's name
 *   (`request`, `response`, `mutation`) set to the name of the member that is set. When sending, the
 *   member that is set decides; the discriminator may be left out.
 */
import { join } from "node:path";
import type {
  handleBidiStreamingCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/**
 * The folder of the .proto files. It is resolved beside this module, so it holds both in the source
 * tree (`extproc/proto`) and in a bundle, provided the build copies `extproc/proto/` to `proto/`
 * beside the bundled file.
 */
export const PROTO_DIR = join(__dirname, "proto");

/** The file that declares the service; its imports are found under PROTO_DIR. */
export const EXTERNAL_PROCESSOR_PROTO = "envoy/service/ext_proc/v3/external_processor.proto";

export const EXTERNAL_PROCESSOR_SERVICE = "envoy.service.ext_proc.v3.ExternalProcessor";

/** The options the types in this module assume. */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

// ---- google.protobuf well-known types (camelCase: their definitions come from protobufjs) ----

/** google.protobuf.Struct. */
export interface Struct {
  fields?: Record<string, Value>;
}

/** google.protobuf.Value: set one member; a decoded Value names it in `kind`. */
export interface Value {
  kind?: "nullValue" | "numberValue" | "stringValue" | "boolValue" | "structValue" | "listValue";
  nullValue?: "NULL_VALUE" | 0;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: { values?: Value[] };
}

/** google.protobuf.Duration; `seconds` decodes to a decimal string. */
export interface Duration {
  seconds?: string | number;
  nanos?: number;
}

/** google.protobuf.Any, left packed. */
export interface Any {
  type_url?: string;
  value?: Buffer;
}

// ---- envoy.config.core.v3 ----

/**
 * One header. Envoy sends the value in `raw_value` (bytes) and leaves `value` empty; read
 * `raw_value` and fall back to `value` (see headerValue). When sending, set exactly one of them.
 * Names arrive lower-cased.
 */
export interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Buffer;
}

/**
 * How a set header combines with one of the same name. The default, APPEND_IF_EXISTS_OR_ADD, keeps
 * the client's header beside ours: send OVERWRITE_IF_EXISTS_OR_ADD for credentials.
 */
export type HeaderAppendAction =
  | "APPEND_IF_EXISTS_OR_ADD"
  | "ADD_IF_ABSENT"
  | "OVERWRITE_IF_EXISTS_OR_ADD"
  | "OVERWRITE_IF_EXISTS";

export interface HeaderValueOption {
  header?: HeaderValue;
  append_action?: HeaderAppendAction | number;
  keep_empty_value?: boolean;
}

export interface HeaderMap {
  headers?: HeaderValue[];
}

/** Metadata by namespace (usually a filter name). */
export interface Metadata {
  filter_metadata?: Record<string, Struct>;
  typed_filter_metadata?: Record<string, Any>;
}

// ---- envoy.extensions.filters.http.ext_proc.v3 ----

export type HeaderSendMode = "DEFAULT" | "SEND" | "SKIP";

export type BodySendMode =
  | "NONE"
  | "STREAMED"
  | "BUFFERED"
  | "BUFFERED_PARTIAL"
  | "FULL_DUPLEX_STREAMED"
  | "GRPC";

/**
 * Sent as ProcessingResponse.mode_override. Envoy honours it only on a headers response and only
 * with allow_mode_override configured, and it cannot change request_header_mode.
 */
export interface ProcessingMode {
  request_header_mode?: HeaderSendMode | number;
  response_header_mode?: HeaderSendMode | number;
  request_body_mode?: BodySendMode | number;
  response_body_mode?: BodySendMode | number;
  request_trailer_mode?: HeaderSendMode | number;
  response_trailer_mode?: HeaderSendMode | number;
}

// ---- envoy.type.v3 ----

/**
 * An HTTP status. Send `code` as the number (e.g. 503): the enum's names are CamelCase reason
 * phrases, so a decoded code is a name such as "ServiceUnavailable".
 */
export interface HttpStatus {
  code?: number | string;
}

// ---- envoy.service.ext_proc.v3 ----

/**
 * One member of a oneof set, the others unset, and the discriminator (set on decoded messages,
 * optional when sending) naming it; or, on a decoded message, none set (a member this subset does not
 * declare, e.g. one Envoy added later).
 */
type OneOf<Discriminator extends string, Members> =
  | {
      [K in keyof Members]: { [D in Discriminator]?: K } & { [M in K]: Members[K] } & {
        [O in Exclude<keyof Members, K>]?: undefined;
      };
    }[keyof Members]
  | ({ [D in Discriminator]?: undefined } & { [M in keyof Members]?: undefined });

/** Sent by Envoy on the first message of a stream: the body modes it was configured with. */
export interface ProtocolConfiguration {
  request_body_mode?: BodySendMode | number;
  response_body_mode?: BodySendMode | number;
  send_body_without_waiting_for_header_response?: boolean;
}

/** Headers or trailers of one phase. `end_of_stream` is set when no body follows. */
export interface HttpHeaders {
  headers?: HeaderMap;
  end_of_stream?: boolean;
}

/** A body chunk (STREAMED), or the whole body (BUFFERED). */
export interface HttpBody {
  body?: Buffer;
  end_of_stream?: boolean;
}

export interface HttpTrailers {
  trailers?: HeaderMap;
}

/**
 * What Envoy sends: one message per phase of one HTTP request. Unless `observability_mode` is set,
 * answer each with exactly one ProcessingResponse of the same case (or `immediate_response` during
 * the request phases).
 */
export type ProcessingRequest = OneOf<
  "request",
  {
    request_headers: HttpHeaders;
    response_headers: HttpHeaders;
    request_body: HttpBody;
    response_body: HttpBody;
    request_trailers: HttpTrailers;
    response_trailers: HttpTrailers;
  }
> & {
  metadata_context?: Metadata;
  /**
   * Keyed by filter name ("envoy.filters.http.ext_proc"); the Struct by attribute name (e.g.
   * `xds.route_name`). Request attributes come with request_headers, response attributes with
   * response_headers.
   */
  attributes?: Record<string, Struct>;
  /** Fire and forget: the server must not answer. */
  observability_mode?: boolean;
  /** Present on the first message of a stream only. */
  protocol_config?: ProtocolConfiguration;
};

export type ResponseStatus = "CONTINUE" | "CONTINUE_AND_REPLACE";

export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  /** Removing pseudo-headers (`:*`) or `host` is ignored by Envoy. */
  remove_headers?: string[];
}

/** A body chunk sent in FULL_DUPLEX_STREAMED mode. */
export interface StreamedBodyResponse {
  body?: Buffer;
  end_of_stream?: boolean;
}

/**
 * `body` replaces the chunk (or the whole body when BUFFERED); `clear_body` empties it;
 * `streamed_response` is for FULL_DUPLEX_STREAMED only.
 */
export type BodyMutation = OneOf<
  "mutation",
  { body: Buffer; clear_body: boolean; streamed_response: StreamedBodyResponse }
>;

export interface CommonResponse {
  status?: ResponseStatus | number;
  header_mutation?: HeaderMutation;
  body_mutation?: BodyMutation;
  /** Not implemented by Envoy. */
  trailers?: HeaderMap;
  /** Makes Envoy match the route again on the mutated request headers. */
  clear_route_cache?: boolean;
}

export interface HeadersResponse {
  response?: CommonResponse;
}

/** Header mutations in a body response take effect only in BUFFERED mode. */
export interface BodyResponse {
  response?: CommonResponse;
}

export interface TrailersResponse {
  header_mutation?: HeaderMutation;
}

export interface GrpcStatus {
  status?: number;
}

/** Ends the HTTP request with a local reply. `status` is required by Envoy. */
export interface ImmediateResponse {
  status?: HttpStatus;
  headers?: HeaderMutation;
  /** Sent as text/plain unless a content-type header is set. */
  body?: Buffer;
  grpc_status?: GrpcStatus;
  /** Becomes %RESPONSE_CODE_DETAILS% in Envoy's access log. */
  details?: string;
}

/** What the server sends: the answer to one ProcessingRequest, of the same case. */
export type ProcessingResponse = OneOf<
  "response",
  {
    request_headers: HeadersResponse;
    response_headers: HeadersResponse;
    request_body: BodyResponse;
    response_body: BodyResponse;
    request_trailers: TrailersResponse;
    response_trailers: TrailersResponse;
    immediate_response: ImmediateResponse;
  }
> & {
  /**
   * Top-level keys are metadata namespaces, e.g. `{ fields: { "io.envoy.ai_gateway": { structValue:
   * … } } }`; Envoy keeps only the namespaces it is configured to let the processor write.
   */
  dynamic_metadata?: Struct;
  mode_override?: ProcessingMode;
  /** Needs max_message_timeout configured on the filter. */
  override_message_timeout?: Duration;
};

// ---- the service ----

export interface ExternalProcessorHandlers extends UntypedServiceImplementation {
  Process: handleBidiStreamingCall<ProcessingRequest, ProcessingResponse>;
}

let service: ServiceDefinition<ExternalProcessorHandlers> | undefined;

/**
 * The grpc-js definition of `envoy.service.ext_proc.v3.ExternalProcessor` (one method, `Process`,
 * bidirectional streaming), for `server.addService`. Loaded on first call (some 25 ms), then cached.
 */
export function externalProcessorService(): ServiceDefinition<ExternalProcessorHandlers> {
  if (!service) {
    const definition = loadSync(EXTERNAL_PROCESSOR_PROTO, LOADER_OPTIONS)[
      EXTERNAL_PROCESSOR_SERVICE
    ];
    if (!isExternalProcessor(definition)) {
      throw new Error(`${EXTERNAL_PROCESSOR_SERVICE} is missing from ${PROTO_DIR}`);
    }
    service = definition;
  }
  return service;
}

/** Whether a loaded definition is the service, with `Process` streaming both ways. */
function isExternalProcessor(
  definition: unknown,
): definition is ServiceDefinition<ExternalProcessorHandlers> {
  if (typeof definition !== "object" || definition === null || !("Process" in definition))
    return false;
  const process = definition.Process;
  return (
    typeof process === "object" &&
    process !== null &&
    "requestStream" in process &&
    "responseStream" in process &&
    process.requestStream === true &&
    process.responseStream === true
  );
}

/** A header's value as Envoy sends it: `raw_value` when present, else `value`. */
export function headerValue(header: HeaderValue): string {
  return header.raw_value !== undefined ? header.raw_value.toString("utf8") : (header.value ?? "");
}
