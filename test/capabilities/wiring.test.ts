import { aiGateway } from "../../capabilities/ai-gateway";

describe("the ai-gateway capability", () => {
  it("validates each kind on create and update under its exact plural", () => {
    const validated = aiGateway.bindings
      .filter(binding => binding.isValidate)
      .map(binding => [binding.kind.kind, binding.kind.plural, binding.event]);
    expect(validated).toEqual([
      ["AIGatewayRoute", "aigatewayroutes", "CREATEORUPDATE"],
      ["AIServiceBackend", "aiservicebackends", "CREATEORUPDATE"],
      ["BackendSecurityPolicy", "backendsecuritypolicies", "CREATEORUPDATE"],
    ]);
  });
});
