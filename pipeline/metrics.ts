/**
 * The data plane's metrics, named as OpenTelemetry's GenAI semantic conventions name them (in their
 * Prometheus form), so dashboards built for those conventions work: request duration, time to first
 * token, time per output token and token usage, by backend, model, operation and error type; plus
 * the gateway's own processing time per request and the fallbacks it made.
 */
import { Counter, Histogram, Registry } from "prom-client";
import type { RequestSummary } from "./exchange";
import { isServed, modelText, type AnsweredSummary, type RequestObserver } from "./observer";

/** OpenTelemetry's `gen_ai.operation.name` of each endpoint. */
const OPERATION: Record<string, string> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "text_completion",
  "/v1/embeddings": "embeddings",
};

/** OpenTelemetry's `gen_ai.provider.name` of each backend schema. */
const PROVIDER: Record<string, string> = {
  OpenAI: "openai",
  AzureOpenAI: "azure.ai.openai",
  AWSBedrock: "aws.bedrock",
  GCPVertexAI: "gcp.vertex_ai",
  GCPAnthropic: "gcp.anthropic",
  Anthropic: "anthropic",
};

const LABELS = [
  "gen_ai_operation_name",
  "gen_ai_provider_name",
  "gen_ai_request_model",
  "backend",
  "route",
  "error_type",
] as const;

/**
 * The most model names the metrics label series with, besides those a rule names exactly. The
 * model comes from the request body, and a rule that matches models by pattern (or every model)
 * lets any client name new ones: each would add series to every histogram for as long as the
 * process lives. Past this many, further such names share one label value.
 */
export const MAX_MODEL_LABELS = 100;
const OTHER_MODELS_LABEL = "_other";

const SECONDS_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

export class GatewayMetrics implements RequestObserver {
  readonly registry = new Registry();
  private readonly modelLabels = new Set<string>();
  private readonly duration = new Histogram({
    name: "gen_ai_server_request_duration_seconds",
    help: "Time from the request's arrival to its last byte, by backend, model and operation.",
    labelNames: LABELS,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly timeToFirstToken = new Histogram({
    name: "gen_ai_server_time_to_first_token_seconds",
    help: "Time to the first translated bytes of a streamed answer.",
    labelNames: LABELS,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly timePerOutputToken = new Histogram({
    name: "gen_ai_server_time_per_output_token_seconds",
    help: "Time per output token after the first, for streamed answers.",
    labelNames: LABELS,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64],
    registers: [this.registry],
  });
  private readonly tokens = new Histogram({
    name: "gen_ai_client_token_usage",
    help: "Tokens per request, by type (input, cached_input, cache_creation_input, output, reasoning).",
    labelNames: [...LABELS, "gen_ai_token_type"],
    buckets: TOKEN_BUCKETS,
    registers: [this.registry],
  });
  private readonly processing = new Histogram({
    name: "aigw_extproc_processing_seconds",
    help: "Time the gateway itself spent on a request (translation, signing, selection), not waiting.",
    labelNames: ["route"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  private readonly fallbacks = new Counter({
    name: "aigw_backend_fallbacks_total",
    help: "Requests that a backend failed and another backend then served or tried.",
    labelNames: ["route", "backend"],
    registers: [this.registry],
  });
  private readonly answered = new Counter({
    name: "aigw_requests_answered_total",
    help: "Requests the gateway answered itself before any backend: bad requests, unknown models or routes, /v1/models.",
    labelNames: ["route", "status", "error_type"],
    registers: [this.registry],
  });

  finished(summary: RequestSummary | AnsweredSummary, timing: { processingMs?: number }): void {
    if (timing.processingMs !== undefined) {
      this.processing.observe({ route: summary.route }, timing.processingMs / 1000);
    }
    if (!isServed(summary)) {
      this.answered.inc({
        route: summary.route,
        status: String(summary.status),
        error_type: summary.errorType ?? "",
      });
      return;
    }
    const labels = {
      gen_ai_operation_name: OPERATION[summary.endpoint] ?? summary.endpoint,
      gen_ai_provider_name: PROVIDER[summary.schema] ?? summary.schema,
      gen_ai_request_model: summary.modelNamedByRule
        ? modelText(summary.model)
        : this.modelLabel(summary.model),
      backend: summary.backend,
      route: summary.route,
      error_type: summary.errorType ?? "",
    };
    this.duration.observe(labels, summary.durationMs / 1000);
    const { usage } = summary;
    for (const [type, count] of [
      ["input", usage.inputTokens],
      ["cached_input", usage.cachedInputTokens],
      ["cache_creation_input", usage.cacheCreationInputTokens],
      ["output", usage.outputTokens],
      ["reasoning", usage.reasoningTokens],
    ] as const) {
      if (count > 0 || type === "input" || type === "output")
        this.tokens.observe({ ...labels, gen_ai_token_type: type }, count);
    }
    if (summary.timeToFirstTokenMs !== undefined) {
      this.timeToFirstToken.observe(labels, summary.timeToFirstTokenMs / 1000);
      if (usage.outputTokens > 1) {
        this.timePerOutputToken.observe(
          labels,
          (summary.durationMs - summary.timeToFirstTokenMs) / 1000 / (usage.outputTokens - 1),
        );
      }
    }
    for (const backend of summary.fallbacks) {
      this.fallbacks.inc({ route: summary.route, backend });
    }
  }

  private modelLabel(fullModel: string): string {
    const model = modelText(fullModel);
    if (this.modelLabels.has(model)) return model;
    if (this.modelLabels.size >= MAX_MODEL_LABELS) return OTHER_MODELS_LABEL;
    this.modelLabels.add(model);
    return model;
  }
}

/** Several observers as one. */
export const observeAll = (...observers: RequestObserver[]): RequestObserver => ({
  finished: (summary, timing) => observers.forEach(observer => observer.finished(summary, timing)),
});
