import { ManifestSet } from "../../resolve/manifest-set";
import type { Manifest } from "../../resolve/manifest-set";
import { resolveRoute } from "../../resolve/route";
import type { RouteObject } from "../../resolve/resolved";
import type { GeneratedObjectStatuses } from "../../status/envoy-gateway-status";
import { backendVerdict, policyVerdict, routeVerdict } from "../../status/verdicts";
import { apiKeyPolicy, route, workingBackend } from "../resolve/manifests";

const accepted = [
  { type: "Accepted", status: "True", reason: "Accepted", message: "" },
  { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "" },
];

/** Envoy Gateway accepted the HTTPRoute, the ext_proc policy and the ext_proc Backend. */
const wired: GeneratedObjectStatuses = {
  httpRoute: { parents: [{ parentRef: { name: "my-gateway" }, conditions: accepted }] },
  extensionPolicy: { ancestors: [{ ancestorRef: { name: "my-gateway" }, conditions: accepted }] },
  extProcBackend: { conditions: accepted },
};

const names = (count: number) => Array.from({ length: count }, (_, i) => `backend-${i + 1}`);

describe("routeVerdict", () => {
  it.each<{
    name: string;
    route: RouteObject;
    manifests: Manifest[];
    statuses: GeneratedObjectStatuses;
    verdict: { accepted: boolean; reason: string; message: string };
  }>([
    {
      name: "more distinct backends than an HTTPRoute holds",
      route: route(names(16)),
      manifests: names(16).flatMap(workingBackend),
      statuses: wired,
      verdict: {
        accepted: false,
        reason: "TooManyBackends",
        message:
          "the route uses 16 distinct AIServiceBackends, but its HTTPRoute can hold rules for at most 15: split the route in two",
      },
    },
    {
      name: "backends with problems: the first one's reason, every message in route order",
      route: route(["groq", "openai", "mistral"]),
      manifests: [
        ...workingBackend("groq"),
        apiKeyPolicy("groq-auth", "groq", "groq-secret"),
        ...workingBackend("mistral"),
      ],
      statuses: wired,
      verdict: {
        accepted: false,
        reason: "SecretNotFound",
        message:
          'AIServiceBackend "default/groq": BackendSecurityPolicy "groq-auth": Secret "groq-secret" not found in namespace "default"; AIServiceBackend "openai" not found in namespace "default"',
      },
    },
    {
      name: "resolved backends, but Envoy Gateway has not accepted the HTTPRoute",
      route: route(["openai"]),
      manifests: workingBackend("openai"),
      statuses: {},
      verdict: {
        accepted: false,
        reason: "WaitingForEnvoyGateway",
        message:
          "waiting for Envoy Gateway to accept HTTPRoute default/openai-route; if this persists, check that Envoy Gateway runs and that the parent Gateway exists",
      },
    },
    {
      name: "resolved backends, but no parent Gateway",
      route: route(["openai"], false),
      manifests: workingBackend("openai"),
      statuses: wired,
      verdict: {
        accepted: false,
        reason: "NoParentGateway",
        message: "default/openai-route has no parentRefs: attach it to a Gateway to take traffic",
      },
    },
    {
      name: "one backend, wired",
      route: route(["openai"]),
      manifests: workingBackend("openai"),
      statuses: wired,
      verdict: {
        accepted: true,
        reason: "Accepted",
        message: "Envoy Gateway accepted the HTTPRoute and the ext_proc policy; 1 backend ready",
      },
    },
    {
      name: "distinct backends counted once, wired",
      route: route(["openai", "groq", "openai"]),
      manifests: [...workingBackend("openai"), ...workingBackend("groq")],
      statuses: wired,
      verdict: {
        accepted: true,
        reason: "Accepted",
        message: "Envoy Gateway accepted the HTTPRoute and the ext_proc policy; 2 backends ready",
      },
    },
  ])("$verdict.reason: $name", ({ route, manifests, statuses, verdict }) => {
    const inputs = resolveRoute(new ManifestSet(manifests), route);
    expect(routeVerdict(inputs, statuses)).toEqual(verdict);
  });
});

describe("backendVerdict and policyVerdict", () => {
  const problem = { reason: "SecretKeyMissing", message: 'Secret "s" has no key "apiKey"' };

  it.each([
    {
      name: "backendVerdict without a problem",
      verdict: backendVerdict(undefined),
      expected: { accepted: true, reason: "Accepted", message: "the Envoy Gateway Backend exists" },
    },
    {
      name: "backendVerdict with a problem",
      verdict: backendVerdict({ reason: "BackendNotFound", message: "Backend gone" }),
      expected: { accepted: false, reason: "BackendNotFound", message: "Backend gone" },
    },
    {
      name: "policyVerdict without a problem",
      verdict: policyVerdict(undefined),
      expected: { accepted: true, reason: "Accepted", message: "the credentials resolve" },
    },
    {
      name: "policyVerdict with a problem",
      verdict: policyVerdict(problem),
      expected: {
        accepted: false,
        reason: "SecretKeyMissing",
        message: 'Secret "s" has no key "apiKey"',
      },
    },
  ])("$name", ({ verdict, expected }) => {
    expect(verdict).toEqual(expected);
  });
});
