import { z } from "zod";
import {
  celRules,
  groupName,
  HTTPBodyMutationSchema,
  HTTPHeaderMutationSchema,
  int32,
  kindName,
  namespaceName,
  objectName,
  kindObjectSchema,
} from "./shared";

export const API_SCHEMA_NAMES = [
  "OpenAI",
  "AWSBedrock",
  "AzureOpenAI",
  "GCPVertexAI",
  "GCPAnthropic",
  "Anthropic",
] as const;
export type APISchemaName = (typeof API_SCHEMA_NAMES)[number];

export const ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io";

export const VersionedAPISchemaSchema = z
  .strictObject({
    name: z
      .enum(API_SCHEMA_NAMES)
      .describe(`The API the backend speaks: ${API_SCHEMA_NAMES.join(", ")}.`),
    version: z
      .string()
      .min(1)
      .max(64)
      .describe(
        "The API version. OpenAI: the path prefix (default v1). AzureOpenAI: the api-version query parameter (required, e.g. 2024-10-21). GCPAnthropic: the anthropic_version (default vertex-2023-10-16). Ignored by the others.",
      )
      .optional(),
  })
  .describe("The API schema of the backend, which decides how requests are translated.");

export const BackendObjectReferenceSchema = z
  .strictObject({
    group: groupName("The referent's API group: gateway.envoyproxy.io.").default(
      ENVOY_GATEWAY_GROUP,
    ),
    kind: kindName("The referent's kind: Backend.").default("Backend"),
    name: objectName("The name of the Envoy Gateway Backend."),
    namespace: namespaceName(
      "The Backend's namespace; defaults to the AIServiceBackend's namespace.",
    ).optional(),
    port: int32().min(1).max(65535).describe("Not used for Backend references.").optional(),
  })
  .meta({
    description:
      "The Envoy Gateway Backend (gateway.envoyproxy.io/v1alpha1) that holds the provider's address and TLS settings.",
    ...celRules({
      rule: `self.group == '${ENVOY_GATEWAY_GROUP}' && self.kind == 'Backend'`,
      message: `backendRef must be an Envoy Gateway Backend: set group: ${ENVOY_GATEWAY_GROUP} and kind: Backend`,
    }),
  });

export const AIServiceBackendSpecSchema = z
  .strictObject({
    schema: VersionedAPISchemaSchema,
    backendRef: BackendObjectReferenceSchema,
    headerMutation: HTTPHeaderMutationSchema.optional(),
    bodyMutation: HTTPBodyMutationSchema.optional(),
  })
  .meta({
    description: "AIServiceBackendSpec describes one provider backend and the API it speaks.",
    ...celRules({
      rule: "self.schema.name != 'AzureOpenAI' || has(self.schema.version)",
      message:
        "schema.version is required for AzureOpenAI: set it to the api-version, e.g. 2024-10-21",
      fieldPath: ".schema.version",
    }),
  });

export const AIServiceBackendSchema = kindObjectSchema(AIServiceBackendSpecSchema);

export type AIServiceBackend = z.infer<typeof AIServiceBackendSchema>;
export type AIServiceBackendSpec = z.infer<typeof AIServiceBackendSpecSchema>;
export type BackendObjectReference = z.infer<typeof BackendObjectReferenceSchema>;
