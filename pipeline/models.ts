/** `GET /v1/models`: the models a route serves, as OpenAI lists them. */
import { MODEL_HEADER, type HTTPHeaderMatch } from "../api/v1alpha1";
import type { RouteConfig, RuleConfig } from "../contract/route-config";
import { GatewayAnswer, jsonAnswer } from "./answer";

const MODELS_PATH = "/v1/models";

export const isModelsRequest = (method: string, path: string) =>
  method === "GET" && path.split("?")[0] === MODELS_PATH;

const unixSeconds = (timestamp: string) => {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
};

/** A model as `GET /v1/models` lists it. */
export interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/**
 * One entry per model a rule matches exactly on `x-ai-eg-model` (a regular expression names no
 * model), in rule order, each listed once.
 */
export function modelList(route: RouteConfig): GatewayAnswer {
  return jsonAnswer(200, { object: "list", data: modelEntries(route) });
}

/** The entries of `modelList`; those of a model in `seen` are left out, and the others added. */
export function modelEntries(route: RouteConfig, seen = new Set<string>()): ModelEntry[] {
  return route.rules.flatMap(rule =>
    rule.matches.flatMap(match =>
      match.headers
        .filter(namesAModel)
        .filter(header => !seen.has(header.value) && seen.add(header.value))
        .map(header => modelEntry(header.value, rule)),
    ),
  );
}

/** Whether a header match names a model: exactly, on `x-ai-eg-model`. */
const namesAModel = (header: HTTPHeaderMatch) =>
  header.type === "Exact" && header.name.toLowerCase() === MODEL_HEADER;

/** Whether `rule` names `model` exactly, as `GET /v1/models` lists it. */
export const namesModel = (rule: RuleConfig, model: string): boolean =>
  rule.matches.some(match =>
    match.headers.some(header => header.value === model && namesAModel(header)),
  );

/** A model of `rule`, with the owner and creation time the rule gives its models. */
export const modelEntry = (id: string, rule: RuleConfig): ModelEntry => ({
  id,
  object: "model",
  created: unixSeconds(rule.modelsCreatedAt),
  owned_by: rule.modelsOwnedBy,
});
