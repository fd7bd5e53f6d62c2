import { PeprValidateRequest } from "pepr";
import { ResourceValidator } from "../../api/validate";
import { ManifestSet } from "../../resolve/manifest-set";
import { admissionValidator } from "../../capabilities/ai-gateway/admission";
import { AIGatewayRoute } from "../../capabilities/kinds";
import { changed, validRoute } from "../api/examples";

function requestFor(object: unknown, operation = "CREATE"): PeprValidateRequest<AIGatewayRoute> {
  return new PeprValidateRequest<AIGatewayRoute>({
    uid: "uid-1",
    kind: { group: "aigateway.envoyproxy.io", version: "v1alpha1", kind: "AIGatewayRoute" },
    resource: {
      group: "aigateway.envoyproxy.io",
      version: "v1alpha1",
      resource: "aigatewayroutes",
    },
    name: "openai-route",
    namespace: "default",
    operation,
    userInfo: {},
    object,
  } as never);
}

const validate = admissionValidator<AIGatewayRoute>(
  "AIGatewayRoute",
  new ResourceValidator(),
  new ManifestSet([]),
);

describe("admissionValidator", () => {
  it("denies with every violation, each with its field path", async () => {
    const bad = changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers[0] = {
        type: "RegularExpression",
        name: "x-ai-eg-model",
        value: "(",
      };
      r.spec.rules[0].backendRefs.push({ name: "openai-backend" });
    });
    expect(await validate(requestFor(bad))).toMatchObject({
      allowed: false,
      statusMessage:
        'spec.rules[0].matches[0].headers[0].value: "(" is not a valid RE2 regular expression: missing closing ): `(`; spec.rules[0].backendRefs[2]: AIServiceBackend "default/openai-backend" is listed twice in this rule; list each backend once',
    });
  });

  it("approves with warnings that name the missing objects", async () => {
    const response = await validate(requestFor(validRoute()));
    expect(response.allowed).toBe(true);
    expect(response.warnings).toContain(
      'spec.rules[0].backendRefs[0]: AIServiceBackend "openai-backend" not found in namespace "default"; the route is not Accepted until it exists',
    );
  });

  it("never blocks an object that is being deleted", async () => {
    const deleting = changed(validRoute(), r => {
      (r.metadata as Record<string, unknown>).deletionTimestamp = "2026-01-01T00:00:00Z";
      (r.spec as Record<string, unknown>).rules = [];
    });
    expect(await validate(requestFor(deleting, "UPDATE"))).toMatchObject({ allowed: true });
  });

  it("denies with a clear message when the references cannot be checked", async () => {
    const failing = admissionValidator<AIGatewayRoute>(
      "BackendSecurityPolicy",
      new ResourceValidator(),
      {
        exists: async () => true,
        namesIn: async () => new Set(["b"]),
        secretKeys: async () => ["apiKey"],
        backendSecurityPolicies: async () => {
          throw new Error(
            "could not read the BackendSecurityPolicies in default from the API server (HTTP 503)",
          );
        },
      },
    );
    const policy = {
      metadata: { name: "p", namespace: "default" },
      spec: {
        type: "APIKey",
        targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "b" }],
        apiKey: { secretRef: { name: "s" } },
      },
    };
    expect(await failing(requestFor(policy))).toMatchObject({
      allowed: false,
      statusMessage:
        "BackendSecurityPolicy default/p could not be validated: could not read the BackendSecurityPolicies in default from the API server (HTTP 503); try again",
    });
  });
});
