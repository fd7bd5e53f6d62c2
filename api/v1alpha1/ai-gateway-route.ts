import { z } from "zod";
import {
  celRules,
  duration,
  groupName,
  hostname,
  HTTPBodyMutationSchema,
  HTTPHeaderMutationSchema,
  headerName,
  int32,
  kindName,
  namespaceName,
  objectName,
  kindObjectSchema,
  sectionName,
  withCelRules,
} from "./shared";

/** The header the ext_proc server sets from the request body's `model`; rules match on it. */
export const MODEL_HEADER = "x-ai-eg-model";

/**
 * The distinct AIServiceBackends one route can use: its HTTPRoute gets one rule per backend, an
 * HTTPRoute holds at most 16 rules, and one is the catch-all.
 */
export const MAX_DISTINCT_BACKENDS = 15;

/** The rule name the generated HTTPRoute uses for its catch-all; users cannot take it. */
export const RESERVED_RULE_NAME = "route-not-found";

export const ParentReferenceSchema = z.strictObject({
  group: groupName("The parent's API group; only gateway.networking.k8s.io is supported.").default(
    "gateway.networking.k8s.io",
  ),
  kind: kindName("The parent's kind; only Gateway is supported.").default("Gateway"),
  namespace: namespaceName(
    "The Gateway's namespace; defaults to the AIGatewayRoute's namespace.",
  ).optional(),
  name: objectName("The name of the Gateway."),
  sectionName: sectionName(
    "A listener of the Gateway to attach to; all listeners when omitted.",
  ).optional(),
  port: int32().min(1).max(65535).describe("The listener port to attach to.").optional(),
});

export const HTTPHeaderMatchSchema = z.strictObject({
  type: z
    .enum(["Exact", "RegularExpression"])
    .default("Exact")
    .describe("How to match the value: Exact or RegularExpression (RE2 syntax)."),
  name: headerName(`The header to match; use ${MODEL_HEADER} to match the requested model.`),
  value: z.string().min(1).max(4096).describe("The value to match."),
});

export const RouteMatchSchema = z
  .strictObject({
    headers: z
      .array(HTTPHeaderMatchSchema)
      .max(16)
      .meta({
        description:
          "Header matches that must all hold (AND); each header is matched at most once.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      })
      .optional(),
  })
  .describe("Conditions a request must meet; a rule applies when any of its matches holds.");

export const RouteRuleBackendRefSchema = z.strictObject({
  name: z.string().min(1).max(253).describe("The name of the AIServiceBackend."),
  namespace: namespaceName(
    "The AIServiceBackend's namespace; defaults to the AIGatewayRoute's namespace.",
  ).optional(),
  weight: int32()
    .min(0)
    .max(1000000)
    .default(1)
    .describe("The share of traffic among the backends of the same priority; 0 sends none."),
  priority: int32()
    .min(0)
    .max(1000)
    .default(0)
    .describe(
      "Fallback order: backends of priority 0 are used first, higher numbers only when all lower ones fail.",
    ),
  modelNameOverride: z
    .string()
    .min(1)
    .max(512)
    .describe("The model name sent to this backend instead of the one the client asked for.")
    .optional(),
  headerMutation: HTTPHeaderMutationSchema.optional(),
  bodyMutation: HTTPBodyMutationSchema.optional(),
});

export const HTTPRouteTimeoutsSchema = z
  .strictObject({
    request: duration(
      "The whole request's timeout, e.g. 120s; 0s disables it. Defaults to 60s (model responses are slow).",
    ).optional(),
    backendRequest: duration("The timeout of each request to a backend, e.g. 30s.").optional(),
  })
  .meta({
    description: "Timeouts for requests matched by this rule.",
    ...celRules({
      rule: "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))",
      message: "backendRequest timeout cannot be longer than request timeout",
      fieldPath: ".backendRequest",
    }),
  });

export const RouteRuleSchema = z.strictObject({
  name: withCelRules(
    sectionName(
      `A name for the rule, unique within the route; "${RESERVED_RULE_NAME}" is reserved.`,
    ),
    {
      rule: `self != '${RESERVED_RULE_NAME}'`,
      message: `rule name ${RESERVED_RULE_NAME} is reserved`,
    },
  ).optional(),
  matches: z
    .array(RouteMatchSchema)
    .max(128)
    .describe(
      "Conditions a request must meet (any of them); a rule without matches takes every request.",
    )
    .optional(),
  backendRefs: z
    .array(RouteRuleBackendRefSchema)
    .max(128)
    .describe(
      "The AIServiceBackends to send matching requests to, with weights and fallback priorities.",
    )
    .optional(),
  timeouts: HTTPRouteTimeoutsSchema.optional(),
  modelsOwnedBy: z
    .string()
    .max(256)
    .default("Envoy AI Gateway")
    .describe("The owned_by value /v1/models reports for the models this rule matches exactly."),
  modelsCreatedAt: z.iso
    .datetime({ offset: true })
    .describe(
      "The created time /v1/models reports for this rule's models (RFC 3339); defaults to the route's creation time.",
    )
    .optional(),
});

export const LLM_REQUEST_COST_TYPES = [
  "InputToken",
  "CachedInputToken",
  "CacheCreationInputToken",
  "OutputToken",
  "TotalToken",
  "CEL",
] as const;

/** The variables a `cel` cost expression may use. */
export const COST_CEL_VARIABLES = {
  model: "string",
  backend: "string",
  input_tokens: "uint",
  cached_input_tokens: "uint",
  cache_creation_input_tokens: "uint",
  output_tokens: "uint",
  total_tokens: "uint",
} as const;

export const LLMRequestCostSchema = z
  .strictObject({
    metadataKey: z
      .string()
      .min(1)
      .max(256)
      .describe(
        "The key under the io.envoy.ai_gateway dynamic-metadata namespace where the cost is written, e.g. llm_total_token.",
      ),
    type: z
      .enum(LLM_REQUEST_COST_TYPES)
      .describe(
        "What to count: InputToken, CachedInputToken (prompt-cache reads), CacheCreationInputToken (prompt-cache writes), OutputToken, TotalToken, or CEL.",
      ),
    cel: z
      .string()
      .min(1)
      .max(4096)
      .describe(
        `A CEL expression returning a non-negative integer, for type CEL. Variables: ${Object.keys(COST_CEL_VARIABLES).join(", ")}.`,
      )
      .optional(),
  })
  .meta({
    description:
      "A cost to compute for every request and expose as dynamic metadata, e.g. for rate limiting.",
    ...celRules({
      rule: "self.type == 'CEL' ? has(self.cel) : !has(self.cel)",
      message: "cel must be set when type is CEL, and only then",
    }),
  });

export const AIGatewayRouteSpecSchema = z
  .strictObject({
    parentRefs: z
      .array(ParentReferenceSchema)
      .max(16)
      .meta({
        description: "The Gateways this route attaches to.",
        ...celRules({
          rule: "self.all(p, p.kind == 'Gateway' && p.group == 'gateway.networking.k8s.io')",
          message: "only Gateway is supported",
        }),
      })
      .optional(),
    hostnames: z
      .array(hostname("A hostname, optionally with a leading wildcard label (*.example.com)."))
      .max(16)
      .describe("Hostnames the route serves; all hostnames of the Gateway when omitted.")
      .optional(),
    rules: z
      .array(RouteRuleSchema)
      .min(1)
      .max(15)
      .meta({
        description:
          "Routing rules, tried by their matches; at most 15 (the generated HTTPRoute keeps one rule for its catch-all).",
        ...celRules({
          rule: "self.all(r, !has(r.name) || self.exists_one(o, has(o.name) && o.name == r.name))",
          message: "rule name must be unique within the route",
        }),
      }),
    llmRequestCosts: z
      .array(LLMRequestCostSchema)
      .max(36)
      .meta({
        description: "Costs computed per request from token usage, written as dynamic metadata.",
        ...celRules({
          rule: "self.all(c, self.exists_one(o, o.metadataKey == c.metadataKey))",
          message: "metadataKey must be unique",
        }),
      })
      .optional(),
  })
  .describe("AIGatewayRouteSpec routes OpenAI-compatible requests to AIServiceBackends by model.");

export const AIGatewayRouteSchema = kindObjectSchema(AIGatewayRouteSpecSchema);

export type AIGatewayRoute = z.infer<typeof AIGatewayRouteSchema>;
export type AIGatewayRouteSpec = z.infer<typeof AIGatewayRouteSpecSchema>;
export type AIGatewayRouteRule = z.infer<typeof RouteRuleSchema>;
export type AIGatewayRouteRuleBackendRef = z.infer<typeof RouteRuleBackendRefSchema>;
export type LLMRequestCost = z.infer<typeof LLMRequestCostSchema>;
export type HTTPHeaderMatch = z.infer<typeof HTTPHeaderMatchSchema>;
export type ParentReference = z.infer<typeof ParentReferenceSchema>;
export type HTTPRouteTimeouts = z.infer<typeof HTTPRouteTimeoutsSchema>;
