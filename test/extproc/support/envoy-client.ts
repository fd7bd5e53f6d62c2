/**
 * A gRPC client that talks to the ext_proc server as Envoy does: one `Process` stream per HTTP
 * request, one message per phase, each waiting for its answer.
 */
import { makeClientConstructor, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import {
  externalProcessorService,
  type ProcessingRequest,
  type ProcessingResponse,
} from "../../../extproc/protocol";

const ExternalProcessorClient = makeClientConstructor(
  externalProcessorService(),
  "ExternalProcessor",
);

export interface EnvoyStream {
  /** Sends one message and waits for its answer (or the stream's error). */
  send(message: ProcessingRequest): Promise<ProcessingResponse>;
  /** Sends without waiting (observability mode). */
  push(message: ProcessingRequest): void;
  end(): void;
  /** Resets the stream, as Envoy does when its client goes away. */
  cancel(): void;
  /** The error the stream ended with, if any. */
  closed: Promise<{ code?: number; details?: string } | undefined>;
}

export function connect(address: string) {
  // Envoy sends and takes bodies as large as its buffer limits allow.
  const client = new ExternalProcessorClient(address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  return {
    open(): EnvoyStream {
      const call = (
        client as unknown as {
          Process(): ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
        }
      ).Process();
      const waiting: Array<{
        resolve: (response: ProcessingResponse) => void;
        reject: (error: Error) => void;
      }> = [];
      let settle: (error?: { code?: number; details?: string }) => void = () => {};
      const closed = new Promise<{ code?: number; details?: string } | undefined>(resolve => {
        settle = resolve;
      });
      call.on("data", (response: ProcessingResponse) => waiting.shift()?.resolve(response));
      call.on("error", (error: Error & { code?: number; details?: string }) => {
        for (const waiter of waiting.splice(0)) waiter.reject(error);
        settle({ code: error.code, details: error.details });
      });
      call.on("end", () => settle(undefined));
      return {
        send: message =>
          new Promise((resolve, reject) => {
            waiting.push({ resolve, reject });
            call.write(message);
          }),
        push: message => call.write(message),
        end: () => call.end(),
        cancel: () => call.cancel(),
        closed,
      };
    },
    close: () => client.close(),
  };
}

const header = (key: string, value: string) => ({ key, raw_value: Buffer.from(value) });

/** request_headers as Envoy sends them for a route of the generated HTTPRoute. */
export function requestHeaders(
  path: string,
  options: {
    method?: string;
    routeName?: string;
    headers?: Record<string, string>;
    endOfStream?: boolean;
  } = {},
): ProcessingRequest {
  const all = {
    ":method": options.method ?? "POST",
    ":path": path,
    ":authority": "gateway.example.com",
    ":scheme": "https",
    "content-type": "application/json",
    ...options.headers,
  };
  return {
    request_headers: {
      headers: { headers: Object.entries(all).map(([key, value]) => header(key, value)) },
      end_of_stream: options.endOfStream ?? false,
    },
    attributes: {
      "envoy.filters.http.ext_proc": {
        fields: {
          "xds.route_name": {
            stringValue: options.routeName ?? "httproute/default/route/rule/0/match/0/*",
          },
        },
      },
    },
  };
}

export const requestBody = (body: unknown): ProcessingRequest => ({
  request_body: { body: Buffer.from(JSON.stringify(body)), end_of_stream: true },
});

export const responseHeaders = (
  status: number,
  headers: Record<string, string> = {},
  endOfStream = false,
): ProcessingRequest => ({
  response_headers: {
    headers: {
      headers: Object.entries({ ":status": String(status), ...headers }).map(([k, v]) =>
        header(k, v),
      ),
    },
    end_of_stream: endOfStream,
  },
});

export const responseBody = (body: Uint8Array | string, endOfStream = true): ProcessingRequest => ({
  response_body: { body: Buffer.from(body), end_of_stream: endOfStream },
});

/** The header mutation of a response as a plain record (set) and list (remove). */
export function mutationOf(response: ProcessingResponse) {
  const common =
    response.request_headers?.response ??
    response.request_body?.response ??
    response.response_headers?.response ??
    response.response_body?.response;
  const mutation = common?.header_mutation;
  return {
    set: Object.fromEntries(
      (mutation?.set_headers ?? []).map(option => [
        option.header?.key ?? "",
        option.header?.raw_value?.toString("utf8") ?? option.header?.value ?? "",
      ]),
    ),
    appendActions: [...new Set((mutation?.set_headers ?? []).map(o => o.append_action))],
    remove: mutation?.remove_headers ?? [],
  };
}

/** A metadata Struct as plain values. */
export function metadataOf(response: ProcessingResponse): Record<string, unknown> {
  const namespace = response.dynamic_metadata?.fields?.["io.envoy.ai_gateway"]?.structValue;
  return Object.fromEntries(
    Object.entries(namespace?.fields ?? {}).map(([key, value]) => [
      key,
      value.numberValue ?? value.stringValue,
    ]),
  );
}
