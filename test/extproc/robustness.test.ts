/**
 * Bad input never crashes the server or leaks into another stream: malformed messages, invalid
 * UTF-8, a 50 MB body, a provider that sends garbage.
 */
import { credentials, makeGenericClientConstructor, type Client } from "@grpc/grpc-js";
import { BackendAuthRegistry } from "../../auth/registry";
import { ExtProcServer } from "../../extproc/server";
import { rootLogger } from "../../lib/logger";
import { Gateway } from "../../pipeline/gateway";
import { RouteStore } from "../../pipeline/route-store";
import { UpstreamClient } from "../../pipeline/upstream-client";
import { backend, modelRule, routeConfig } from "../pipeline/fixtures";
import {
  connect,
  requestBody,
  requestHeaders,
  responseBody,
  responseHeaders,
} from "./support/envoy-client";

const CHAT = "/v1/chat/completions";
const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hello" }] };

describe("the ext_proc server under bad input", () => {
  let server: ExtProcServer;
  let address: string;
  let envoy: ReturnType<typeof connect>;
  const upstream = new UpstreamClient();

  beforeAll(async () => {
    const auth = new BackendAuthRegistry();
    const routes = new RouteStore(auth);
    routes.load(
      routeConfig([
        modelRule("gpt-4o", [backend("openai")]),
        modelRule("claude", [
          backend("bedrock", { schema: { name: "AWSBedrock" }, auth: undefined }),
        ]),
      ]),
      "test",
    );
    server = new ExtProcServer({
      gateway: new Gateway({ routes, auth }),
      upstream,
      logger: rootLogger,
      observer: { finished: () => {} },
    });
    const [port] = await server.listen(["127.0.0.1:0"]);
    address = `127.0.0.1:${port}`;
    envoy = connect(address);
  });

  afterAll(async () => {
    envoy.close();
    await server.shutdown(1000);
    await upstream.close();
  });

  /** A request with its body, served normally: proof the server is still fine. */
  async function stillServes(): Promise<void> {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    const answer = await stream.send(requestBody(chat));
    expect(answer.response).toBe("request_body");
    stream.end();
  }

  it("ends a stream of bytes that are not a ProcessingRequest with a gRPC error", async () => {
    const Raw = makeGenericClientConstructor(
      {
        Process: {
          path: "/envoy.service.ext_proc.v3.ExternalProcessor/Process",
          requestStream: true,
          responseStream: true,
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (value: Buffer) => value,
          responseSerialize: (value: Buffer) => value,
          responseDeserialize: (value: Buffer) => value,
        },
      },
      "Raw",
    );
    const client: Client = new Raw(address, credentials.createInsecure());
    const call = client.makeBidiStreamRequest(
      "/envoy.service.ext_proc.v3.ExternalProcessor/Process",
      (value: Buffer) => value,
      (value: Buffer) => value,
    );
    const error = await new Promise<{ code: number }>(resolve => {
      call.on("error", resolve);
      call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    });
    expect(error.code).toBeGreaterThan(0);
    client.close();
    await stillServes();
  });

  it("answers a body that is not UTF-8 with 400", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    const answer = await stream.send({
      request_body: {
        body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
        end_of_stream: true,
      },
    });
    expect(answer.immediate_response?.status?.code).toBe("BadRequest");
    expect(JSON.parse(answer.immediate_response!.body!.toString()).error.code).toBe("invalid_json");
    stream.end();
  });

  it("translates a 50 MB request body", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    const big = { ...chat, messages: [{ role: "user", content: "x".repeat(50 * 1024 * 1024) }] };
    const answer = await stream.send(requestBody(big));
    expect(answer.request_body?.response?.body_mutation?.body?.length).toBeGreaterThan(
      50 * 1024 * 1024,
    );
    stream.end();
  }, 30_000);

  it("answers 502 in OpenAI's shape when a provider sends garbage instead of JSON", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody({ ...chat, model: "claude" }));
    await stream.send(responseHeaders(200, { "content-type": "application/json" }));
    const answer = await stream.send(responseBody("\u0000\u0001 not json"));
    const body = JSON.parse(answer.response_body!.response!.body_mutation!.body!.toString());
    expect(body.error.type).toBe("api_error");
    expect(body.error.message).toBe("the upstream response body is not valid JSON");
    const status = answer.response_body!.response!.header_mutation!.set_headers!.find(
      option => option.header?.key === ":status",
    );
    expect(status?.header?.raw_value?.toString()).toBe("502");
    stream.end();
  });

  it("answers 502 when a provider's gzip body does not decode", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody(chat));
    await stream.send(
      responseHeaders(200, { "content-type": "application/json", "content-encoding": "gzip" }),
    );
    const answer = await stream.send(responseBody("not gzip at all"));
    const body = JSON.parse(answer.response_body!.response!.body_mutation!.body!.toString());
    expect(body.error).toEqual({
      message:
        "backend default/openai sent a response the gateway cannot read: incorrect header check",
      type: "api_error",
      param: null,
      code: "bad_upstream_response",
    });
    stream.end();
  });

  it("ends a stream of garbage with an error event, not a broken connection", async () => {
    const stream = envoy.open();
    await stream.send(requestHeaders(CHAT));
    await stream.send(requestBody({ ...chat, model: "claude", stream: true }));
    await stream.send(
      responseHeaders(200, { "content-type": "application/vnd.amazon.eventstream" }),
    );
    const answer = await stream.send(responseBody(Buffer.alloc(64, 0xab), false));
    const text = answer.response_body!.response!.body_mutation!.body!.toString();
    expect(JSON.parse(text.trim().replace(/^data: /, "")).error.message).toMatch(
      /^could not read the upstream stream: event-stream frame 1 \(at byte 0\) is corrupt: /,
    );
    const rest = await stream.send(responseBody("more", true));
    expect(rest.response).toBe("response_body");
    stream.end();
    await stillServes();
  });
});
