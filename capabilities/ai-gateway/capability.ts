import { Capability } from "pepr";

/** The capability that owns admission and reconciliation of the AI Gateway kinds. */
export const aiGateway = new Capability({
  name: "ai-gateway",
  description:
    "Admission validation and reconciliation for AIGatewayRoute, AIServiceBackend and BackendSecurityPolicy.",
});

export const { When, OnSchedule } = aiGateway;
