import { z } from "zod";
import { AIGatewayRouteSpecSchema } from "./ai-gateway-route";
import { AIServiceBackendSpecSchema } from "./ai-service-backend";
import { BackendSecurityPolicySpecSchema } from "./backend-security-policy";

export * from "./shared";
export * from "./ai-gateway-route";
export * from "./ai-service-backend";
export * from "./backend-security-policy";

/** What the CRD generator and the validators need to know about each kind. */
export interface KindDefinition {
  kind: "AIGatewayRoute" | "AIServiceBackend" | "BackendSecurityPolicy";
  plural: string;
  singular: string;
  description: string;
  spec: z.ZodType;
}

export const KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    kind: "AIGatewayRoute",
    plural: "aigatewayroutes",
    singular: "aigatewayroute",
    description:
      "AIGatewayRoute attaches to Gateways and routes OpenAI-compatible requests to AIServiceBackends by model (header x-ai-eg-model), with weights and fallback.",
    spec: AIGatewayRouteSpecSchema,
  },
  {
    kind: "AIServiceBackend",
    plural: "aiservicebackends",
    singular: "aiservicebackend",
    description:
      "AIServiceBackend is one provider backend: the API schema it speaks and the Envoy Gateway Backend that holds its address.",
    spec: AIServiceBackendSpecSchema,
  },
  {
    kind: "BackendSecurityPolicy",
    plural: "backendsecuritypolicies",
    singular: "backendsecuritypolicy",
    description:
      "BackendSecurityPolicy holds the upstream credentials, from Kubernetes Secrets, for the AIServiceBackends it targets.",
    spec: BackendSecurityPolicySpecSchema,
  },
];
