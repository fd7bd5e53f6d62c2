import { envoyGatewayProblem, GeneratedObjectStatuses } from "../../status/envoy-gateway-status";

const ROUTE = "default/openai-route";

const condition = (type: string, status: string, reason?: string, message?: string) => ({
  type,
  status,
  ...(reason === undefined ? {} : { reason }),
  ...(message === undefined ? {} : { message }),
});

/** What Envoy Gateway writes once it accepted everything generated for the route. */
const allAccepted = (): GeneratedObjectStatuses => ({
  httpRoute: {
    parents: [
      {
        parentRef: { name: "my-gateway" },
        conditions: [
          condition("Accepted", "True", "Accepted", "Route is accepted"),
          condition("ResolvedRefs", "True", "ResolvedRefs", "Resolved all the Object references"),
        ],
      },
    ],
  },
  extensionPolicy: {
    ancestors: [
      {
        ancestorRef: { name: "my-gateway" },
        conditions: [condition("Accepted", "True", "Accepted", "Policy has been accepted.")],
      },
    ],
  },
  extProcBackend: { conditions: [condition("Accepted", "True", "Accepted", "")] },
});

/** `allAccepted` with one change. */
const withChange = (change: (statuses: GeneratedObjectStatuses) => void) => {
  const statuses = allAccepted();
  change(statuses);
  return statuses;
};

describe("envoyGatewayProblem", () => {
  it.each([
    {
      name: "the ext_proc Backend is rejected",
      hasParents: true,
      statuses: withChange(s => {
        s.extProcBackend!.conditions = [
          condition("Accepted", "False", "Invalid", "The Backend was not accepted: bad address"),
        ];
      }),
      reason: "ExtProcBackendNotAccepted",
      message:
        "Envoy Gateway did not accept the ext_proc Backend of default/openai-route (Invalid: The Backend was not accepted: bad address); it points at the ext_proc server's address (AIGW_EXTPROC_HOST, AIGW_EXTPROC_PORT)",
    },
    {
      name: "the ext_proc Backend is refused after it was accepted, as Envoy Gateway v1.9 writes it",
      hasParents: true,
      statuses: withChange(s => {
        s.extProcBackend!.conditions = [
          {
            ...condition("Accepted", "True", "Accepted", "The Backend was accepted"),
            observedGeneration: 1,
          },
          {
            ...condition(
              "Invalid",
              "False",
              "Accepted",
              "The Backend was not accepted: bad address",
            ),
            observedGeneration: 2,
          },
        ];
      }),
      reason: "ExtProcBackendNotAccepted",
      message:
        "Envoy Gateway did not accept the ext_proc Backend of default/openai-route (Invalid: The Backend was not accepted: bad address); it points at the ext_proc server's address (AIGW_EXTPROC_HOST, AIGW_EXTPROC_PORT)",
    },
    {
      name: "the route has no parentRefs",
      hasParents: false,
      statuses: allAccepted(),
      reason: "NoParentGateway",
      message: "default/openai-route has no parentRefs: attach it to a Gateway to take traffic",
    },
    {
      name: "Envoy Gateway has not reported on the HTTPRoute yet",
      hasParents: true,
      statuses: withChange(s => {
        s.httpRoute = {};
      }),
      reason: "WaitingForEnvoyGateway",
      message:
        "waiting for Envoy Gateway to accept HTTPRoute default/openai-route; if this persists, check that Envoy Gateway runs and that the parent Gateway exists",
    },
    {
      name: "the HTTPRoute is rejected by a parent",
      hasParents: true,
      statuses: withChange(s => {
        s.httpRoute!.parents![0].conditions![0] = condition(
          "Accepted",
          "False",
          "NotAllowedByListeners",
          "No listeners included by this parent ref allowed this attachment.",
        );
      }),
      reason: "HTTPRouteNotAccepted",
      message:
        'Envoy Gateway did not accept HTTPRoute default/openai-route for Gateway "my-gateway" (NotAllowedByListeners: No listeners included by this parent ref allowed this attachment.)',
    },
    {
      name: "the HTTPRoute's backends do not resolve",
      hasParents: true,
      statuses: withChange(s => {
        s.httpRoute!.parents![0].conditions![1] = condition(
          "ResolvedRefs",
          "False",
          "BackendNotFound",
          "Failed to process route rule 0 backendRef 0: backend not found",
        );
      }),
      reason: "HTTPRouteRefsNotResolved",
      message:
        "Envoy Gateway could not resolve the backends of HTTPRoute default/openai-route (BackendNotFound: Failed to process route rule 0 backendRef 0: backend not found)",
    },
    {
      name: "Envoy Gateway has not reported on the EnvoyExtensionPolicy yet",
      hasParents: true,
      statuses: withChange(s => {
        s.extensionPolicy = { ancestors: [] };
      }),
      reason: "WaitingForEnvoyGateway",
      message:
        "waiting for Envoy Gateway to accept the ext_proc EnvoyExtensionPolicy of default/openai-route",
    },
    {
      name: "the EnvoyExtensionPolicy is rejected",
      hasParents: true,
      statuses: withChange(s => {
        s.extensionPolicy!.ancestors![0].conditions = [
          condition("Accepted", "False", "Invalid", "ext_proc service is unreachable"),
        ];
      }),
      reason: "ExtensionPolicyNotAccepted",
      message:
        "Envoy Gateway did not accept the ext_proc EnvoyExtensionPolicy of default/openai-route (Invalid: ext_proc service is unreachable)",
    },
    {
      name: "the EnvoyExtensionPolicy is rejected without reason or message",
      hasParents: true,
      statuses: withChange(s => {
        s.extensionPolicy!.ancestors![0].conditions = [condition("Accepted", "False")];
      }),
      reason: "ExtensionPolicyNotAccepted",
      message:
        "Envoy Gateway did not accept the ext_proc EnvoyExtensionPolicy of default/openai-route (Unknown:)",
    },
  ])("$reason when $name", ({ hasParents, statuses, reason, message }) => {
    expect(envoyGatewayProblem(ROUTE, hasParents, statuses)).toEqual({
      accepted: false,
      reason,
      message,
    });
  });

  it("finds no problem when Envoy Gateway accepted the HTTPRoute, the policy and the Backend", () => {
    expect(envoyGatewayProblem(ROUTE, true, allAccepted())).toBeUndefined();
  });

  it("finds no problem when the ext_proc Backend is accepted again after a refusal", () => {
    // Envoy Gateway v1.9 leaves the refusal (type Invalid) in place; the newer generation decides.
    const statuses = withChange(s => {
      s.extProcBackend!.conditions = [
        {
          ...condition("Accepted", "True", "Accepted", "The Backend was accepted"),
          observedGeneration: 3,
        },
        {
          ...condition("Invalid", "False", "Accepted", "The Backend was not accepted"),
          observedGeneration: 2,
        },
      ];
    });
    expect(envoyGatewayProblem(ROUTE, true, statuses)).toBeUndefined();
  });
});
