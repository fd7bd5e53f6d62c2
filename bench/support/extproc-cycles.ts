/**
 * The HTTP requests the ext_proc benchmark sends through the server, each as the ext_proc messages
 * Envoy sends for it (request_headers with the route's attributes → request_body → response_headers →
 * response_body, one stream per request), with what a correct answer to each message looks like.
 *
 * There is no upstream: the response phases carry what the provider would have answered (a Converse
 * JSON response, an OpenAI chat.completion, a Bedrock ConverseStream in network chunks).
 */
import type { ProcessingRequest, ProcessingResponse } from "../../extproc/protocol";
import { backend, modelRule, routeConfig } from "../../test/pipeline/fixtures";
import type { RouteConfig } from "../../contract/route-config";
import { seededRandom } from "../../test/support/seeded-random";
import { bedrockConverseStream, networkChunks, type ProviderStream } from "./provider-streams";
import { chatBody } from "./request-bodies";

/** The attribute Envoy sends for the first rule of the generated HTTPRoute. */
export const ROUTE_NAME = "httproute/default/route/rule/0/match/0/*";
const CHAT = "/v1/chat/completions";
const SEED = 20_250_502;
/** The streamed answer: text frames up to 15 KB, then a tool call (about 20 KB in all), in network chunks. */
const STREAM_BYTES = 15_000;
const STREAM_CHUNK_MIN = 1024;
const STREAM_CHUNK_MAX = 4096;

const AWS_CREDENTIALS_FILE =
  "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = bench-secret-key\n";
const BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";

const bedrock = (id: string) =>
  backend(id, {
    schema: { name: "AWSBedrock" },
    endpoint: { hostname: "bedrock-runtime.us-east-1.amazonaws.com", port: 443, tls: true },
    modelNameOverride: BEDROCK_MODEL,
    auth: {
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: AWS_CREDENTIALS_FILE, profile: "default" },
    },
  });

/**
 * The route the server is configured with: `gpt-4o` to an OpenAI backend (API key), `claude` to
 * Bedrock (static SigV4 credentials from an INI credentials file), and `claude-stream`, the same for
 * the streaming requests. Token costs as a rate-limited route has them.
 */
export const BENCH_ROUTE: RouteConfig = routeConfig(
  [
    modelRule("gpt-4o", [backend("openai", { auth: { type: "APIKey", apiKey: "sk-bench-key" } })]),
    modelRule("claude", [bedrock("bedrock")]),
    modelRule("claude-stream", [bedrock("bedrock-stream")]),
  ],
  { llmRequestCosts: [{ metadataKey: "llm_total_token", type: "TotalToken" }] },
);

/** The answer text of the non-streaming responses, about 1 KB. */
const ANSWER = [
  "Paged the payments on-call (sev3) with the summary and the dashboard link.",
  "Summary sent: checkout-7d9f8c6b5-9zq7m was OOMKilled 7 times since yesterday's deploy, which",
  "raised the working set from about 410Mi to 600Mi against a 512Mi limit; the other two replicas",
  "are healthy, which explains the intermittent 5xx. Recommended action: roll back with",
  "`kubectl rollout undo deployment/checkout -n payments`, watch restarts for 15 minutes, then",
  "open a ticket for the payments team to find the leak before raising the limit (runbook §4.2).",
  "Dashboard: https://grafana.example.com/d/payments-overview?orgId=1&from=now-24h. I will check",
  "the rollout status again in 15 minutes and tell you if the restarts continue — 支払い チーム 🌍.",
].join(" ");

/** The Converse JSON response Bedrock sends for the non-streaming Bedrock request. */
const converseResponse = {
  output: { message: { role: "assistant", content: [{ text: ANSWER }] } },
  stopReason: "end_turn",
  usage: { inputTokens: 1120, outputTokens: 262, totalTokens: 1382 },
  metrics: { latencyMs: 4210 },
};

/** The chat.completion OpenAI sends for the non-streaming OpenAI request. */
const openAICompletion = {
  id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  object: "chat.completion",
  created: 1_746_180_131,
  model: "gpt-4o-2024-08-06",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: ANSWER, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: {
    prompt_tokens: 1120,
    completion_tokens: 262,
    total_tokens: 1382,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: "default",
  system_fingerprint: "fp_f9f4fb6dbf",
};

const header = (key: string, value: string) => ({ key, raw_value: Buffer.from(value) });
const headerMap = (headers: Record<string, string>) => ({
  headers: Object.entries(headers).map(([key, value]) => header(key, value)),
});

function requestHeaders(bodyBytes: number): ProcessingRequest {
  return {
    request_headers: {
      headers: headerMap({
        ":authority": "gateway.example.com",
        ":path": CHAT,
        ":method": "POST",
        ":scheme": "https",
        "content-type": "application/json",
        "content-length": String(bodyBytes),
        authorization: "Bearer client-key-0123456789",
        "user-agent": "OpenAI/Python 1.82.0",
        accept: "application/json",
        "x-stainless-lang": "python",
        "x-forwarded-proto": "https",
        "x-request-id": "6f1c1a0e-3f6a-4f0e-9d0b-6a3f4e2c9b1d",
      }),
      end_of_stream: false,
    },
    attributes: {
      "envoy.filters.http.ext_proc": { fields: { "xds.route_name": { stringValue: ROUTE_NAME } } },
    },
  };
}

const requestBody = (body: Buffer): ProcessingRequest => ({
  request_body: { body, end_of_stream: true },
});

const responseHeaders = (headers: Record<string, string>): ProcessingRequest => ({
  response_headers: { headers: headerMap({ ":status": "200", ...headers }), end_of_stream: false },
});

const responseBody = (body: Uint8Array, end: boolean): ProcessingRequest => ({
  response_body: { body: Buffer.from(body), end_of_stream: end },
});

/** The phase a response answers: its oneof member. */
export function phaseOf(response: ProcessingResponse): string {
  for (const key of [
    "request_headers",
    "request_body",
    "response_headers",
    "response_body",
    "immediate_response",
  ] as const) {
    if (response[key]) return key;
  }
  return "none";
}

const phaseOfRequest = (request: ProcessingRequest): string =>
  request.request_headers
    ? "request_headers"
    : request.request_body
      ? "request_body"
      : request.response_headers
        ? "response_headers"
        : "response_body";

const commonOf = (response: ProcessingResponse) =>
  response.request_headers?.response ??
  response.request_body?.response ??
  response.response_headers?.response ??
  response.response_body?.response;

const setHeaders = (response: ProcessingResponse): Record<string, string> =>
  Object.fromEntries(
    (commonOf(response)?.header_mutation?.set_headers ?? []).map(option => [
      option.header?.key ?? "",
      option.header?.raw_value?.toString("utf8") ?? option.header?.value ?? "",
    ]),
  );

const bodyOf = (response: ProcessingResponse | undefined): Buffer | undefined =>
  response ? commonOf(response)?.body_mutation?.body : undefined;

/**
 * A compact description of a response sequence: each answer's phase, the names and value lengths of
 * the headers it sets, and the length of its body mutation. Every correct run of one request gives
 * the same one (ids, dates and signatures change, their lengths do not), so comparing it with the
 * fully checked first run checks every run cheaply.
 */
export function fingerprint(responses: readonly ProcessingResponse[]): string {
  return responses
    .map(response => {
      const headers = Object.entries(setHeaders(response))
        .map(([key, value]) => `${key}=${value.length}`)
        .sort()
        .join(",");
      const common = commonOf(response);
      const body = common?.body_mutation?.body?.length ?? (common?.body_mutation ? "clear" : "-");
      return `${phaseOf(response)}[${headers}](${body})${response.mode_override?.response_body_mode ?? ""}`;
    })
    .join(" ");
}

/** One kind of request through the server. */
export interface Cycle {
  name: string;
  streaming: boolean;
  /** The messages Envoy sends, in order; each waits for the answer to the one before. */
  messages: ProcessingRequest[];
  /**
   * Why `responses` are not what the gateway answers on the success path, or undefined when they
   * are. A full check: parses the bodies.
   */
  check(responses: readonly ProcessingResponse[]): string | undefined;
}

/** Why the answers do not match the messages phase by phase, or undefined. */
function checkPhases(
  messages: readonly ProcessingRequest[],
  responses: readonly ProcessingResponse[],
): string | undefined {
  const immediate = responses.find(response => response.immediate_response);
  if (immediate) {
    const answer = immediate.immediate_response!;
    return `an immediate response ${answer.status?.code}: ${answer.body?.toString("utf8").slice(0, 300)}`;
  }
  if (responses.length !== messages.length) {
    return `${responses.length} answers to ${messages.length} messages`;
  }
  const wrong = messages.findIndex(
    (message, i) => phaseOfRequest(message) !== phaseOf(responses[i]),
  );
  return wrong < 0
    ? undefined
    : `answer ${wrong + 1} is ${phaseOf(responses[wrong])} to ${phaseOfRequest(messages[wrong])}`;
}

/** Why the request_body answer does not send the translated, authenticated request. */
function checkUpstreamRequest(
  response: ProcessingResponse,
  expected: { path: string; authorization: RegExp; model: string },
): string | undefined {
  const headers = setHeaders(response);
  const body = bodyOf(response);
  if (!body || body.length === 0) return "request_body has no body mutation";
  if (headers[":path"] !== expected.path) return `upstream :path is ${headers[":path"]}`;
  if (!expected.authorization.test(headers.authorization ?? "")) {
    return `upstream authorization is "${(headers.authorization ?? "").slice(0, 40)}…"`;
  }
  if (headers["content-length"] !== String(body.length)) return "content-length ≠ body length";
  if (!commonOf(response)?.clear_route_cache) return "request_body does not clear the route cache";
  const sent = JSON.parse(body.toString("utf8")) as { model?: string; messages?: unknown[] };
  if (!Array.isArray(sent.messages) || sent.messages.length === 0) {
    return "the upstream body has no messages";
  }
  if (expected.model && sent.model !== expected.model) return `upstream model is ${sent.model}`;
  return undefined;
}

interface ChatCompletion {
  choices?: { message?: { content?: string }; finish_reason?: string }[];
  usage?: { total_tokens?: number };
}

/** Why the response_body answer is not the chat.completion with the answer text. */
function checkCompletion(response: ProcessingResponse | undefined): string | undefined {
  const body = bodyOf(response);
  if (!body) return "response_body has no body mutation";
  const completion = JSON.parse(body.toString("utf8")) as ChatCompletion;
  if (completion.choices?.[0]?.message?.content !== ANSWER) {
    return "the translated response does not carry the answer text";
  }
  if (completion.usage?.total_tokens !== 1382) return "the translated response lost the usage";
  const metadata = response?.dynamic_metadata?.fields?.["io.envoy.ai_gateway"]?.structValue;
  if (metadata?.fields?.llm_total_token?.numberValue !== 1382) {
    return "the token cost is missing from the dynamic metadata";
  }
  return undefined;
}

interface StreamChunk {
  error?: { message?: string };
  choices?: { delta?: { content?: string | null } }[];
}

/** Why the streamed answers are not the translation of `expected`, ending with [DONE]. */
function checkStream(
  responses: readonly ProcessingResponse[],
  expected: ProviderStream,
): string | undefined {
  const switched = responses[2];
  if (switched?.mode_override?.response_body_mode !== "STREAMED") {
    return "response_headers does not switch the body to STREAMED";
  }
  if (setHeaders(switched)["content-type"] !== "text/event-stream") {
    return "response_headers does not set content-type text/event-stream";
  }
  const text = Buffer.concat(responses.slice(3).map(r => bodyOf(r) ?? Buffer.alloc(0))).toString(
    "utf8",
  );
  if (!text.endsWith("data: [DONE]\n\n")) return "the client stream does not end with data: [DONE]";
  let content = "";
  for (const event of text.split("\n\n")) {
    if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
    const chunk = JSON.parse(event.slice("data: ".length)) as StreamChunk;
    if (chunk.error) return `the client stream has an error event: ${chunk.error.message}`;
    content += chunk.choices?.[0]?.delta?.content ?? "";
  }
  if (content !== expected.content) return "the client stream text differs from the provider's";
  return undefined;
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /;

/** A body for `model`, streaming or not: the ~4 KB agent chat request of the translator bench. */
function chatRequest(model: string, stream: boolean): Buffer {
  const { stream: _stream, stream_options: _options, ...rest } = chatBody;
  const body = stream
    ? { ...rest, model, stream: true, stream_options: { include_usage: true } }
    : { ...rest, model };
  return Buffer.from(JSON.stringify(body));
}

function nonStreaming(
  name: string,
  model: string,
  upstream: { path: string; authorization: RegExp; model: string },
  answer: { contentType: string; headers: Record<string, string>; body: object },
): Cycle {
  const body = chatRequest(model, false);
  const answerBytes = Buffer.from(JSON.stringify(answer.body));
  const messages = [
    requestHeaders(body.length),
    requestBody(body),
    responseHeaders({
      "content-type": answer.contentType,
      "content-length": String(answerBytes.length),
      date: "Fri, 02 May 2025 10:02:11 GMT",
      ...answer.headers,
    }),
    responseBody(answerBytes, true),
  ];
  return {
    name,
    streaming: false,
    messages,
    check: responses =>
      checkPhases(messages, responses) ??
      checkUpstreamRequest(responses[1], upstream) ??
      checkCompletion(responses[3]),
  };
}

/** The three requests measured. */
export function cycles(): Cycle[] {
  const stream = bedrockConverseStream(STREAM_BYTES, SEED);
  const chunks = networkChunks(
    stream.bytes,
    seededRandom(SEED + 1),
    STREAM_CHUNK_MIN,
    STREAM_CHUNK_MAX,
  );
  const streamBody = chatRequest("claude-stream", true);
  const streamMessages = [
    requestHeaders(streamBody.length),
    requestBody(streamBody),
    responseHeaders({
      "content-type": "application/vnd.amazon.eventstream",
      "x-amzn-requestid": "0f6a3c1e-9b1d-4e2c-8a7f-3d5b6c7e8f90",
      date: "Fri, 02 May 2025 10:02:11 GMT",
    }),
    ...chunks.map((chunk, i) => responseBody(chunk, i === chunks.length - 1)),
  ];
  const bedrockPath = (action: string) => `/model/${encodeURIComponent(BEDROCK_MODEL)}/${action}`;
  return [
    nonStreaming(
      "OpenAI → AWSBedrock (SigV4)",
      "claude",
      { path: bedrockPath("converse"), authorization: SIGV4, model: "" },
      {
        contentType: "application/json",
        headers: { "x-amzn-requestid": "0f6a3c1e-9b1d-4e2c-8a7f-3d5b6c7e8f90" },
        body: converseResponse,
      },
    ),
    nonStreaming(
      "OpenAI → OpenAI (API key)",
      "gpt-4o",
      { path: CHAT, authorization: /^Bearer sk-bench-key$/, model: "gpt-4o" },
      {
        contentType: "application/json",
        headers: { "openai-processing-ms": "4210", "x-request-id": "req_0b8e3d7c" },
        body: openAICompletion,
      },
    ),
    {
      name: `OpenAI → AWSBedrock stream (SigV4, ${(stream.bytes.length / 1000).toFixed(0)} KB in ${chunks.length} chunks)`,
      streaming: true,
      messages: streamMessages,
      check: responses =>
        checkPhases(streamMessages, responses) ??
        checkUpstreamRequest(responses[1], {
          path: bedrockPath("converse-stream"),
          authorization: SIGV4,
          model: "",
        }) ??
        checkStream(responses, stream),
    },
  ];
}

/** The baseline server's answers: one plain continue per message, of the message's phase. */
export function checkContinues(
  messages: readonly ProcessingRequest[],
  responses: readonly ProcessingResponse[],
): string | undefined {
  const problem = checkPhases(messages, responses);
  if (problem) return problem;
  return responses.some(response => commonOf(response) || response.mode_override)
    ? "the baseline answered with more than a continue"
    : undefined;
}
