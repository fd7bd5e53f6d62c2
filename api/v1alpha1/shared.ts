/**
 * Schema pieces shared by the three kinds. Each schema is the single source of truth for a field:
 * the runtime parser, the TypeScript type (`z.infer`) and the CRD's OpenAPI schema (with its
 * description, limits and CEL rules, carried as zod metadata) all come from it.
 */
import { z } from "zod";

export const GROUP = "aigateway.envoyproxy.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A CEL rule the API server enforces (`x-kubernetes-validations`); the validator runs it too. */
export interface CelRule {
  rule: string;
  message: string;
  /** Where to report a violation, relative to the object the rule sits on, e.g. `.backendRef`. */
  fieldPath?: string;
}

/** Zod metadata for CEL rules on a schema node. */
export function celRules(...rules: CelRule[]): { "x-kubernetes-validations": CelRule[] } {
  return { "x-kubernetes-validations": rules };
}

/**
 * The CEL rule that checks a string against `pattern` (RE2, as the API server runs it). The CRD
 * generator drops the OpenAPI `pattern` a rule stands for (`api/crd.ts`).
 */
export const patternRule = (pattern: string): string =>
  `self.matches('${pattern.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}')`;

/** `schema` with `rules` added to the CEL rules it already has. */
export function withCelRules<T extends z.ZodType>(schema: T, ...rules: CelRule[]): T {
  const existing = (schema.meta()?.["x-kubernetes-validations"] as CelRule[] | undefined) ?? [];
  return schema.meta({ "x-kubernetes-validations": [...existing, ...rules] });
}

/**
 * `schema` restricted to `pattern`, refused with `message`. A failed OpenAPI `pattern` shows users the
 * raw regex (`should match '^[a-z0-9]…$'`); a CEL rule shows the message, which names the fix. Zod
 * checks the same pattern with the same message for the webhook and the CLI.
 */
export function matching(schema: z.ZodString, pattern: RegExp, message: string): z.ZodString {
  return withCelRules(schema.regex(pattern, { error: message }), {
    rule: patternRule(pattern.source),
    message,
  });
}

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GROUP_PATTERN = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND_PATTERN = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const HOSTNAME_PATTERN = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const SUBDOMAIN_MESSAGE = 'must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".")';

/** A Kubernetes object name (DNS subdomain). */
export const objectName = (description: string) =>
  matching(z.string().min(1).max(253), DNS_SUBDOMAIN, SUBDOMAIN_MESSAGE).describe(description);

/** A Kubernetes namespace name (DNS label). */
export const namespaceName = (description: string) =>
  matching(
    z.string().min(1).max(63),
    DNS_LABEL,
    'must be a lowercase RFC 1123 label (a-z, 0-9 and "-"), such as team-a',
  ).describe(description);

export const groupName = (description: string) =>
  matching(
    z.string().max(253),
    GROUP_PATTERN,
    "must be an API group such as gateway.envoyproxy.io, or empty",
  ).describe(description);

export const kindName = (description: string) =>
  matching(
    z.string().min(1).max(63),
    KIND_PATTERN,
    'must be a kind such as Backend (a letter, then letters, digits and "-")',
  ).describe(description);

/** A Gateway API section name, also used for rule names. */
export const sectionName = (description: string) =>
  matching(z.string().min(1).max(253), DNS_SUBDOMAIN, SUBDOMAIN_MESSAGE).describe(description);

/**
 * An HTTP header name. Checked by the webhook only, not by a CEL rule: a route may hold 15 x 128 x 16
 * header names in matches and as many in mutations, and a regex rule on each would exceed the API
 * server's CEL cost budget 2.5 times. A refinement, unlike `.regex`, leaves no raw `pattern` in the CRD.
 */
export const headerName = (description: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .refine(value => HEADER_NAME_PATTERN.test(value), {
      error:
        "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), such as x-ai-eg-model",
    })
    .describe(description);

/** A Gateway API duration such as `60s`, `1m30s` or `500ms`. */
export const duration = (description: string) =>
  // The length bound keeps the CEL rule's cost estimate small; the pattern allows at most 28.
  matching(
    z.string().max(32),
    DURATION_PATTERN,
    "must be a duration such as 60s, 1m30s or 500ms",
  ).describe(description);

export const hostname = (description: string) =>
  matching(
    z.string().min(1).max(253),
    HOSTNAME_PATTERN,
    "must be a lowercase hostname, optionally with a leading wildcard label (*.example.com)",
  ).describe(description);

/** A 32-bit integer field (`format: int32` in the CRD). */
export const int32 = () =>
  z.number().int().min(-2147483648).max(2147483647).meta({ format: "int32" });

/** A reference to a Secret; only Secrets in the referring object's namespace are allowed. */
export const SecretObjectReferenceSchema = z
  .strictObject({
    group: groupName('The Secret\'s API group: "" (core).').default(""),
    kind: kindName("The referent's kind: Secret.").default("Secret"),
    name: objectName("The name of the Secret."),
    namespace: namespaceName(
      "The namespace of the Secret. It must be the namespace of the BackendSecurityPolicy; when omitted, that namespace is used.",
    ).optional(),
  })
  .meta({
    description: "A reference to a Kubernetes Secret in the same namespace.",
    ...celRules({
      rule: "self.group == '' && self.kind == 'Secret'",
      message: 'secretRef must reference a core Secret (group "", kind Secret)',
    }),
  });
export type SecretObjectReference = z.infer<typeof SecretObjectReferenceSchema>;

export const HTTPHeaderSchema = z.strictObject({
  name: headerName("The header name, matched case-insensitively."),
  value: z.string().min(1).max(4096).describe("The header value."),
});

export const HTTPHeaderMutationSchema = z
  .strictObject({
    set: z
      .array(HTTPHeaderSchema)
      .max(16)
      .meta({
        description:
          "Headers to set on the upstream request, overwriting any value the client sent. Names are unique, case-insensitively.",
        // A map-typed list: the API server enforces unique names cheaply, where a CEL rule
        // comparing every pair would pass the CRD's CEL cost budget.
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      })
      .optional(),
    remove: z
      .array(headerName("A header name."))
      .max(16)
      .describe("Names of headers to remove from the upstream request.")
      .optional(),
  })
  .describe("Changes to the headers of the request sent to the backend.");
export type HTTPHeaderMutation = z.infer<typeof HTTPHeaderMutationSchema>;

export const HTTPBodyFieldSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(256)
    .describe('A top-level field of the JSON request body, for example "temperature".'),
  value: z
    .string()
    .min(1)
    .max(65536)
    .describe('The field\'s new value as raw JSON, for example "0.2", "true" or "\\"text\\"".'),
});

export const HTTPBodyMutationSchema = z
  .strictObject({
    set: z
      .array(HTTPBodyFieldSchema)
      .max(16)
      .meta({
        description: "Top-level JSON body fields to set on the upstream request; paths are unique.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["path"],
      })
      .optional(),
    remove: z
      .array(z.string().min(1).max(256).describe("A top-level JSON body field."))
      .max(16)
      .describe("Top-level JSON body fields to remove from the upstream request.")
      .optional(),
  })
  .describe("Changes to the JSON body of the request sent to the backend.");
export type HTTPBodyMutation = z.infer<typeof HTTPBodyMutationSchema>;

export const ConditionSchema = z.strictObject({
  type: z.string().min(1).max(316).describe("The condition's type, e.g. Accepted."),
  status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .meta({ format: "int64", description: "The .metadata.generation the condition was set for." })
    .optional(),
  lastTransitionTime: z.iso
    .datetime({ offset: true })
    .describe("When the condition last changed status."),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .describe("A CamelCase reason for the condition's last transition."),
  message: z.string().max(32768).describe("A human-readable message with details."),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const StatusSchema = z
  .strictObject({
    conditions: z
      .array(ConditionSchema)
      .max(8)
      .meta({
        description:
          "The latest observations of the object's state; Accepted says whether it is in use.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      })
      .optional(),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .meta({ format: "int64", description: "The .metadata.generation last reconciled." })
      .optional(),
  })
  .describe("The state the controller observed.");
export type Status = z.infer<typeof StatusSchema>;

/**
 * RFC 3339 on the wire; the Kubernetes client's types say `Date`, so objects typed by the client
 * fit too.
 */
const timestamp = z.union([z.string(), z.date()]);

/** A metadata timestamp as its RFC 3339 text, whichever way it was typed. */
export const timestampText = (value: string | Date): string =>
  typeof value === "string" ? value : value.toISOString().replace(/\.000Z$/, "Z");

/**
 * The metadata fields the project reads. A plain object schema, not a loose one, so that objects
 * typed by the Kubernetes client (whose metadata is a class) fit the inferred type.
 */
export const ObjectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  generation: z.number().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: timestamp.optional(),
  deletionTimestamp: timestamp.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/** A whole object of one of the kinds: its spec, with the metadata and status every kind has. */
export const kindObjectSchema = <Spec extends z.ZodType>(spec: Spec) =>
  z.looseObject({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: ObjectMetaSchema.optional(),
    spec,
    status: StatusSchema.optional(),
  });

/** An object as the API server serves it: named, in a namespace. */
export type Stored<T extends { metadata?: ObjectMeta }> = T & {
  metadata: ObjectMeta & { name: string; namespace: string };
};

/** Whether `object` has the name and namespace every stored object has. */
export function isStored<T extends { metadata?: ObjectMeta }>(object: T): object is Stored<T> {
  return typeof object.metadata?.name === "string" && typeof object.metadata.namespace === "string";
}
