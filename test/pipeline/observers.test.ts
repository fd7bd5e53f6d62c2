import { componentLogger } from "../../lib/logger";
import type { RequestSummary } from "../../pipeline/exchange";
import { GatewayMetrics, MAX_MODEL_LABELS } from "../../pipeline/metrics";
import { answeredSummary } from "../../pipeline/observer";
import { RequestLog } from "../../pipeline/request-log";
import { captureLogs } from "../auth/support/log-capture";

const served: RequestSummary = {
  route: "default/route",
  backend: "default/bedrock",
  schema: "AWSBedrock",
  model: "claude",
  upstreamModel: "anthropic.claude-3-5-sonnet-20240620-v1:0",
  modelNamedByRule: true,
  endpoint: "/v1/chat/completions",
  stream: true,
  status: 200,
  usage: {
    inputTokens: 12,
    outputTokens: 11,
    totalTokens: 23,
    cachedInputTokens: 4,
    cacheCreationInputTokens: 2,
    reasoningTokens: 0,
  },
  costs: { llm_total_token: 23 },
  fallbacks: ["default/openai"],
  durationMs: 1200,
  timeToFirstTokenMs: 200,
};

describe("GatewayMetrics", () => {
  it("labels at most MAX_MODEL_LABELS model names, whatever models clients make up", async () => {
    const metrics = new GatewayMetrics();
    const madeUp = { ...served, modelNamedByRule: false };
    for (let i = 0; i <= MAX_MODEL_LABELS + 50; i++) {
      metrics.finished({ ...madeUp, model: `made-up-${i}` }, { processingMs: 0.1 });
    }
    metrics.finished({ ...madeUp, model: "made-up-0" }, { processingMs: 0.1 });
    // A model a rule names keeps its label, however many names clients made up first.
    metrics.finished({ ...served, model: "claude" }, { processingMs: 0.1 });
    const text = await metrics.registry.metrics();
    const models = new Set(
      [
        ...text.matchAll(
          /^gen_ai_server_request_duration_seconds_count\{[^}]*gen_ai_request_model="([^"]*)"[^}]*\} (\d+)/gm,
        ),
      ].map(match => `${match[1]} ${match[2]}`),
    );
    expect(models.size).toBe(MAX_MODEL_LABELS + 2);
    expect(models).toContain("claude 1");
    expect(models).toContain("made-up-0 2");
    expect(models).toContain(`made-up-${MAX_MODEL_LABELS - 1} 1`);
    expect(models).toContain("_other 51");
  });

  it("labels a model by its first 256 characters at most", async () => {
    const metrics = new GatewayMetrics();
    metrics.finished({ ...served, model: "m".repeat(100_000) }, { processingMs: 0.1 });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`gen_ai_request_model="${"m".repeat(256)}"`);
    expect(text).not.toContain("m".repeat(257));
  });

  it("records GenAI metrics by backend, model and operation, and the fallback", async () => {
    const metrics = new GatewayMetrics();
    metrics.finished(served, { processingMs: 0.8 });
    metrics.finished(
      {
        route: "default/route",
        endpoint: "/v1/chat/completions",
        status: 404,
        durationMs: 1,
        errorType: "model_not_found",
      },
      { processingMs: 0.1 },
    );
    const text = await metrics.registry.metrics();
    const labels =
      'gen_ai_operation_name="chat",gen_ai_provider_name="aws.bedrock",gen_ai_request_model="claude",backend="default/bedrock",route="default/route",error_type=""';
    expect(text).toContain(`gen_ai_server_request_duration_seconds_sum{${labels}} 1.2`);
    expect(text).toContain(`gen_ai_server_time_to_first_token_seconds_sum{${labels}} 0.2`);
    expect(text).toContain(`gen_ai_server_time_per_output_token_seconds_sum{${labels}} 0.1`);
    expect(text).toContain(`gen_ai_client_token_usage_sum{${labels},gen_ai_token_type="input"} 12`);
    expect(text).toContain(
      `gen_ai_client_token_usage_sum{${labels},gen_ai_token_type="cached_input"} 4`,
    );
    expect(text).toContain(
      `gen_ai_client_token_usage_sum{${labels},gen_ai_token_type="cache_creation_input"} 2`,
    );
    expect(text).not.toContain('gen_ai_token_type="reasoning"');
    expect(text).toContain(
      'aigw_backend_fallbacks_total{route="default/route",backend="default/openai"} 1',
    );
    expect(text).toContain(
      'aigw_requests_answered_total{route="default/route",status="404",error_type="model_not_found"} 1',
    );
    expect(text).toContain('aigw_extproc_processing_seconds_count{route="default/route"} 2');
  });
});

describe("RequestLog", () => {
  it("writes one line per request with where it went and what it cost", () => {
    const logs = captureLogs();
    try {
      new RequestLog(componentLogger("extproc")).finished(served, { processingMs: 0.84 });
    } finally {
      logs.stop();
    }
    expect(logs.lines.map(line => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: "info",
        message: "request",
        component: "extproc",
        route: "default/route",
        backend: "default/bedrock",
        model: "claude",
        upstreamModel: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        status: 200,
        inputTokens: 12,
        outputTokens: 11,
        totalTokens: 23,
        cachedInputTokens: 4,
        cacheCreationInputTokens: 2,
        durationMs: 1200,
        timeToFirstTokenMs: 200,
        fallbackFrom: ["default/openai"],
        processingMs: 0.8,
      }),
    ]);
  });

  it("cuts a served request's model to 256 characters too", () => {
    const logs = captureLogs();
    try {
      new RequestLog(componentLogger("extproc")).finished(
        { ...served, model: "m".repeat(1000), upstreamModel: "u".repeat(1000) },
        {},
      );
    } finally {
      logs.stop();
    }
    const [line] = logs.lines.map(text => JSON.parse(text));
    expect(line.model).toBe("m".repeat(256));
    expect(line.upstreamModel).toBe("u".repeat(256));
  });

  it("names the model of a request the gateway refused, cut to 256 characters", () => {
    const logs = captureLogs();
    const refused = (model: string) =>
      answeredSummary(
        "default/route",
        "/v1/chat/completions",
        { status: 404, headers: {}, body: new Uint8Array(), model },
        2,
      );
    try {
      const log = new RequestLog(componentLogger("extproc"));
      log.finished(refused("gpt-5"), {});
      log.finished(refused("x".repeat(300)), {});
    } finally {
      logs.stop();
    }
    const [named, long] = logs.lines.map(text => JSON.parse(text));
    expect(named).toMatchObject({ route: "default/route", model: "gpt-5", status: 404 });
    expect(long.model).toBe("x".repeat(256));
  });

  it("names prompt-cache tokens only when there were some", () => {
    const logs = captureLogs();
    const usage = { ...served.usage, cachedInputTokens: 0, cacheCreationInputTokens: 0 };
    try {
      new RequestLog(componentLogger("extproc")).finished({ ...served, usage }, {});
    } finally {
      logs.stop();
    }
    const [line] = logs.lines.map(text => JSON.parse(text));
    expect(line).toMatchObject({ inputTokens: 12, totalTokens: 23 });
    expect(line).not.toHaveProperty("cachedInputTokens");
    expect(line).not.toHaveProperty("cacheCreationInputTokens");
  });
});
