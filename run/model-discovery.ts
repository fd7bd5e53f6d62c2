/**
 * The models a rule that matches model names by pattern serves, for `GET /v1/models` in
 * `ai-gateway run`. A pattern names no model, so the route's own list (`modelEntries`) leaves such
 * a rule out, and a local app's model picker stays empty: the built-in default configuration
 * routes by pattern only. Here the gateway asks the rule's backends which models they have and
 * lists those the pattern takes, for backends whose API lists models: OpenAI and the servers that
 * speak its API (Ollama, vLLM), and Anthropic. A backend that does not answer in time is left out,
 * never the whole list; answers are kept for a minute.
 */
import { MODEL_HEADER } from "../api/v1alpha1";
import type { BackendAuthRegistry } from "../auth/registry";
import type { BackendConfig, RouteConfig, RuleConfig } from "../contract/route-config";
import { errorMessage } from "../lib/error-message";
import { AttemptDeadline } from "../pipeline/attempt-deadline";
import { applyHeaderMutation, composeHeaderMutations } from "../pipeline/header-mutation";
import { modelEntry, type ModelEntry } from "../pipeline/models";
import { matchRule } from "../pipeline/rule-match";
import { authenticate, configuredMutation } from "../pipeline/upstream-attempt";
import type { UpstreamClient } from "../pipeline/upstream-client";
import { ANTHROPIC_API_VERSION } from "../translators/openai-anthropic";
import { openAIPath } from "../translators/shared/openai-backend-paths";

/** How to ask a backend of one API schema for its models, and read the answer. */
interface ModelListing {
  path: (backend: BackendConfig) => string;
  headers: Record<string, string>;
}

const LISTINGS: Partial<Record<string, ModelListing>> = {
  OpenAI: { path: backend => openAIPath(backend, "models"), headers: {} },
  Anthropic: {
    path: () => "/v1/models?limit=1000",
    headers: { "anthropic-version": ANTHROPIC_API_VERSION },
  },
};

/** Both OpenAI's and Anthropic's lists are `{data: [{id}, …]}`. */
function idsOf(body: Buffer): string[] {
  const parsed: unknown = JSON.parse(body.toString("utf8"));
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new Error("the answer has no data array");
  return data.flatMap(entry => {
    const id = (entry as { id?: unknown } | null)?.id;
    return typeof id === "string" ? [id] : [];
  });
}

const hasModelPattern = (rule: RuleConfig) =>
  rule.matches.some(match =>
    match.headers.some(
      header => header.type === "RegularExpression" && header.name.toLowerCase() === MODEL_HEADER,
    ),
  );

/** Whether the rule's conditions on the model name take `model` (its other conditions aside). */
function ruleTakesModel(route: RouteConfig, rule: RuleConfig, model: string): boolean {
  const onModelOnly = rule.matches.map(match => ({
    headers: match.headers.filter(header => header.name.toLowerCase() === MODEL_HEADER),
  }));
  return (
    matchRule(
      { ...route, rules: [{ ...rule, matches: onModelOnly }] },
      {
        [MODEL_HEADER]: model,
      },
    ) !== undefined
  );
}

export interface ModelDiscoveryOptions {
  upstream: UpstreamClient;
  auth: BackendAuthRegistry;
  /** How long a backend may take to list its models. Default 3 s. */
  timeoutMs?: number;
  /** How long a backend's list is kept. Default a minute. */
  ttlMs?: number;
  now?: () => number;
  onProblem?: (message: string) => void;
}

export class ModelDiscovery {
  private readonly lists = new Map<string, { at: number; ids: Promise<string[]> }>();
  private readonly now: () => number;

  constructor(private readonly options: ModelDiscoveryOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The models the pattern rules of `route` serve, as their backends list them; those in `seen` are
   * left out, and the others added to it.
   */
  async entries(route: RouteConfig, seen: Set<string>): Promise<ModelEntry[]> {
    const rules = route.rules.filter(hasModelPattern);
    const listed = await Promise.all(
      rules.map(async rule => {
        // A backend with a model override serves one model, whatever its list holds.
        const backends = rule.backends.filter(backend => !backend.modelNameOverride);
        const ids = (await Promise.all(backends.map(backend => this.modelsOf(backend)))).flat();
        return { rule, ids };
      }),
    );
    return listed.flatMap(({ rule, ids }) =>
      ids
        .filter(id => !seen.has(id) && ruleTakesModel(route, rule, id) && seen.add(id))
        .map(id => modelEntry(id, rule)),
    );
  }

  /** A backend's models, from its list of the last minute or a new one; none when it fails. */
  private modelsOf(backend: BackendConfig): Promise<string[]> {
    const listing = LISTINGS[backend.schema.name];
    if (!listing || !backend.endpoint) return Promise.resolve([]);
    const kept = this.lists.get(backend.id);
    const ttlMs = this.options.ttlMs ?? 60_000;
    if (kept && this.now() - kept.at < ttlMs) return kept.ids;
    const ids = this.list(backend, listing).catch((error: unknown) => {
      this.options.onProblem?.(
        `backend ${backend.id} did not list its models: ${errorMessage(error)}`,
      );
      return [];
    });
    this.lists.set(backend.id, { at: this.now(), ids });
    return ids;
  }

  private async list(backend: BackendConfig, listing: ModelListing): Promise<string[]> {
    const path = listing.path(backend);
    const credentials = await authenticate(
      backend,
      { path, headers: listing.headers, body: new Uint8Array(0) },
      this.options.auth,
      "GET",
    );
    const mutation = composeHeaderMutations(configuredMutation(backend), credentials.headers);
    const headers = Object.fromEntries(
      Object.entries(applyHeaderMutation(listing.headers, mutation)).filter(
        ([name]) => !name.startsWith(":"),
      ),
    );
    const timeoutMs = this.options.timeoutMs ?? 3_000;
    const deadline = new AttemptDeadline({
      ms: timeoutMs,
      exceeded: `no answer within ${timeoutMs} ms`,
      backendAtFault: true,
    });
    try {
      const response = await this.options.upstream.get(
        backend.endpoint!,
        credentials.path,
        headers,
        deadline,
      );
      const body = await response.whole();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      return idsOf(body);
    } finally {
      deadline.clear();
    }
  }
}
