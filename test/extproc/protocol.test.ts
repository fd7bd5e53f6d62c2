/**
 * The ext_proc protocol as the server will see it: the service loads, and messages survive the gRPC
 * serializers in the shapes extproc/protocol.ts describes (snake_case fields, Buffers, enum names,
 * oneof discriminators, camelCase well-known types).
 */
import {
  externalProcessorService,
  headerValue,
  type ProcessingRequest,
  type ProcessingResponse,
} from "../../extproc/protocol";

describe("ext_proc protocol", () => {
  const service = externalProcessorService();

  it("defines ExternalProcessor.Process as a bidirectional stream", () => {
    expect(Object.keys(service)).toEqual(["Process"]);
    expect(service.Process.path).toBe("/envoy.service.ext_proc.v3.ExternalProcessor/Process");
    expect(service.Process.requestStream).toBe(true);
    expect(service.Process.responseStream).toBe(true);
    expect(externalProcessorService()).toBe(service);
  });

  it("round-trips a ProcessingRequest with body bytes, raw header values and attributes", () => {
    const body = Buffer.from('{"model":"gpt-4o","stream":true}');
    const headers: ProcessingRequest = {
      request_headers: {
        headers: {
          headers: [
            { key: ":path", raw_value: Buffer.from("/v1/chat/completions") },
            { key: "x-legacy", value: "plain" },
          ],
        },
      },
      attributes: {
        "envoy.filters.http.ext_proc": {
          fields: { "xds.route_name": { stringValue: "default/chat/rule/0" } },
        },
      },
      protocol_config: { request_body_mode: "BUFFERED", response_body_mode: "STREAMED" },
    };
    const decodedHeaders = service.Process.requestDeserialize(
      service.Process.requestSerialize(headers),
    );
    expect(decodedHeaders).toEqual({
      request: "request_headers",
      request_headers: {
        headers: {
          headers: [
            { key: ":path", raw_value: Buffer.from("/v1/chat/completions") },
            { key: "x-legacy", value: "plain" },
          ],
        },
      },
      attributes: {
        "envoy.filters.http.ext_proc": {
          fields: {
            "xds.route_name": { kind: "stringValue", stringValue: "default/chat/rule/0" },
          },
        },
      },
      protocol_config: { request_body_mode: "BUFFERED", response_body_mode: "STREAMED" },
    });
    const [path, legacy] = decodedHeaders.request_headers?.headers?.headers ?? [];
    expect(Buffer.isBuffer(path.raw_value)).toBe(true);
    expect(headerValue(path)).toBe("/v1/chat/completions");
    expect(headerValue(legacy)).toBe("plain");

    const decodedBody = service.Process.requestDeserialize(
      service.Process.requestSerialize({ request_body: { body, end_of_stream: true } }),
    );
    expect(decodedBody).toEqual({
      request: "request_body",
      request_body: { body, end_of_stream: true },
    });
    expect(Buffer.isBuffer(decodedBody.request_body?.body)).toBe(true);
  });

  it("round-trips ProcessingResponses: immediate response, metadata, mode override, body mutation", () => {
    const immediate: ProcessingResponse = {
      immediate_response: {
        status: { code: 503 },
        headers: {
          set_headers: [
            {
              header: { key: "content-type", raw_value: Buffer.from("application/json") },
              append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
            },
          ],
        },
        body: Buffer.from('{"error":"no backend"}'),
        details: "ai_gateway_no_backend",
      },
      dynamic_metadata: {
        fields: {
          "io.envoy.ai_gateway": {
            structValue: { fields: { llm_input_token: { numberValue: 12 } } },
          },
        },
      },
    };
    expect(
      service.Process.responseDeserialize(service.Process.responseSerialize(immediate)),
    ).toEqual({
      response: "immediate_response",
      immediate_response: {
        status: { code: "ServiceUnavailable" },
        headers: {
          set_headers: [
            {
              header: { key: "content-type", raw_value: Buffer.from("application/json") },
              append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
            },
          ],
        },
        body: Buffer.from('{"error":"no backend"}'),
        details: "ai_gateway_no_backend",
      },
      dynamic_metadata: {
        fields: {
          "io.envoy.ai_gateway": {
            kind: "structValue",
            structValue: { fields: { llm_input_token: { kind: "numberValue", numberValue: 12 } } },
          },
        },
      },
    });

    const headers: ProcessingResponse = {
      response_headers: {
        response: { header_mutation: { remove_headers: ["content-length"] } },
      },
      mode_override: { response_body_mode: "STREAMED" },
      override_message_timeout: { seconds: 10 },
    };
    expect(service.Process.responseDeserialize(service.Process.responseSerialize(headers))).toEqual(
      {
        response: "response_headers",
        response_headers: {
          response: { header_mutation: { remove_headers: ["content-length"] } },
        },
        mode_override: { response_body_mode: "STREAMED" },
        override_message_timeout: { seconds: "10" },
      },
    );

    const replaced = Buffer.from('{"messages":[]}');
    const body: ProcessingResponse = {
      request_body: {
        response: {
          status: "CONTINUE_AND_REPLACE",
          body_mutation: { body: replaced },
          clear_route_cache: true,
        },
      },
    };
    const decodedBody = service.Process.responseDeserialize(
      service.Process.responseSerialize(body),
    );
    expect(decodedBody).toEqual({
      response: "request_body",
      request_body: {
        response: {
          status: "CONTINUE_AND_REPLACE",
          body_mutation: { mutation: "body", body: replaced },
          clear_route_cache: true,
        },
      },
    });
    expect(Buffer.isBuffer(decodedBody.request_body?.response?.body_mutation?.body)).toBe(true);
  });
});
