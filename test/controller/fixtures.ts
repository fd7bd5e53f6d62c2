/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are plain manifests */
import type { Controller } from "../../controller/controller";
import type { RecordingClusterClient } from "./fake-cluster-client";

export const NS = "default";
const meta = (name: string, generation = 1) => ({
  name,
  namespace: NS,
  uid: `uid-${name}`,
  generation,
  creationTimestamp: "2026-01-01T00:00:00Z",
});

export const route = (generation = 1, backendNames = ["openai-backend", "groq-backend"]): any => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind: "AIGatewayRoute",
  metadata: meta("openai-route", generation),
  spec: {
    parentRefs: [{ name: "my-gateway", kind: "Gateway", group: "gateway.networking.k8s.io" }],
    rules: [
      {
        matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "gpt-4o-mini" }] }],
        modelsOwnedBy: "OpenAI",
        modelsCreatedAt: "2024-01-01T00:00:00Z",
        backendRefs: backendNames.map((name, i) => ({ name, weight: 1, priority: i })),
      },
    ],
  },
});

export const aiBackend = (name: string): any => ({
  kind: "AIServiceBackend",
  metadata: meta(name),
  spec: {
    schema: { name: "OpenAI", version: "v1" },
    backendRef: { name, kind: "Backend", group: "gateway.envoyproxy.io" },
  },
});

export const gatewayBackend = (name: string, hostname = `${name}.example.com`): any => ({
  kind: "Backend",
  metadata: meta(name),
  spec: { endpoints: [{ fqdn: { hostname, port: 443 } }] },
});

export const policy = (target = "openai-backend", secret = "openai-secret"): any => ({
  kind: "BackendSecurityPolicy",
  metadata: meta(`${target}-auth`),
  spec: {
    targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: target }],
    type: "APIKey",
    apiKey: { secretRef: { name: secret, group: "", kind: "Secret" } },
  },
});

export const secret = (name: string, data: Record<string, string>): any => ({
  kind: "Secret",
  metadata: meta(name),
  data: Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
  ),
});

const accepted = [
  { type: "Accepted", status: "True", reason: "Accepted", message: "" },
  { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "" },
];

/** Writes the status Envoy Gateway writes once it accepted a route's generated objects. */
export function envoyGatewayAccepts(
  controller: Controller,
  routeName = "openai-route",
  conditions = accepted,
): void {
  const owner = { ownerReferences: [{ kind: "AIGatewayRoute", name: routeName }] };
  controller.events.onHttpRoute(
    {
      metadata: { name: routeName, namespace: NS, ...owner },
      status: { parents: [{ parentRef: { name: "my-gateway" }, conditions }] },
    } as any,
    "MODIFIED",
  );
  controller.events.onExtensionPolicy(
    {
      metadata: { name: `ai-eg-extproc-${routeName}`, namespace: NS, ...owner },
      status: { ancestors: [{ ancestorRef: { name: "my-gateway" }, conditions: [accepted[0]] }] },
    } as any,
    "MODIFIED",
  );
}

/**
 * A Secret written to the cluster: the fake API server holds it, and the controller's metadata
 * watch reports it (without its data, as the real watch does).
 */
export function putSecret(
  client: RecordingClusterClient,
  controller: Controller,
  object: { metadata: { name: string; namespace: string }; data: Record<string, string> },
  phase: "ADDED" | "MODIFIED" = "ADDED",
): void {
  client.secrets.set(`${object.metadata.namespace}/${object.metadata.name}`, object);
  controller.events.onSecret({ metadata: object.metadata }, phase);
}

/** Every object of the single-provider-with-fallback example, by the handler that takes it. */
export function allEvents(
  client: RecordingClusterClient,
): Array<[string, (c: Controller) => void]> {
  return [
    ["route", c => c.events.onRoute(route(), "ADDED")],
    ["openai AIServiceBackend", c => c.events.onBackend(aiBackend("openai-backend"), "ADDED")],
    ["groq AIServiceBackend", c => c.events.onBackend(aiBackend("groq-backend"), "ADDED")],
    [
      "openai Backend",
      c => c.events.onGatewayBackend(gatewayBackend("openai-backend", "api.openai.com"), "ADDED"),
    ],
    [
      "groq Backend",
      c => c.events.onGatewayBackend(gatewayBackend("groq-backend", "api.groq.com"), "ADDED"),
    ],
    ["policy", c => c.events.onPolicy(policy(), "ADDED")],
    ["Secret", c => putSecret(client, c, secret("openai-secret", { apiKey: "sk-test-123" }))],
  ];
}
