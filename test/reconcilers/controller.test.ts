import { DEFAULT_SETTINGS } from "../../controllers/settings";
import { Controller } from "../../reconcilers/controller";
import { RecordingClusterClient } from "./fake-cluster-client";
import {
  aiBackend,
  allEvents,
  envoyGatewayAccepts,
  gatewayBackend,
  NS,
  policy,
  route,
  secret,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read plain manifests */

let clock = 0;
function setup() {
  const client = new RecordingClusterClient();
  const controller = new Controller(
    client,
    DEFAULT_SETTINGS,
    { concurrency: 4, baseDelayMs: 1, maxDelayMs: 5 },
    () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)),
  );
  return { client, controller };
}

const routeDocument = (client: RecordingClusterClient) =>
  client.configEntries().get(`route_${NS}_openai-route.json`) as any;

/** A few orders of the same objects: apply order must never matter. */
const orders: number[][] = [
  [0, 1, 2, 3, 4, 5, 6],
  [6, 5, 4, 3, 2, 1, 0],
  [3, 6, 0, 5, 1, 4, 2],
];

describe("Controller", () => {
  it.each(orders.map(order => [order.join(","), order]))(
    "accepts everything whatever the apply order (%s)",
    async (_name, order) => {
      const { client, controller } = setup();
      const events = allEvents();
      for (const index of order as number[]) {
        events[index][1](controller);
        await controller.queue.idle();
      }
      envoyGatewayAccepts(controller);
      await controller.queue.idle();

      expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
        status: "True",
        reason: "Accepted",
        observedGeneration: 1,
        message: "Envoy Gateway accepted the HTTPRoute and the ext_proc policy; 2 backends ready",
      });
      expect(client.acceptedOf("AIServiceBackend", NS, "openai-backend")?.status).toBe("True");
      expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")?.status).toBe(
        "True",
      );
      const backends = routeDocument(client).rules[0].backends;
      expect(
        backends.map((b: any) => [b.id, b.priority, b.endpoint.hostname, b.auth?.type]),
      ).toEqual([
        ["default/openai-backend", 0, "api.openai.com", "APIKey"],
        ["default/groq-backend", 1, "api.groq.com", undefined],
      ]);
      expect(backends[0].auth.apiKey).toBe("sk-test-123");
    },
  );

  it("generates the HTTPRoute, filters, ext_proc Backend and EnvoyExtensionPolicy, owned by the route", async () => {
    const { client, controller } = setup();
    allEvents().forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect([...client.objects.keys()].sort()).toEqual([
      "Backend/default/ai-eg-extproc-openai-route",
      "EnvoyExtensionPolicy/default/ai-eg-extproc-openai-route",
      "HTTPRoute/default/openai-route",
      "HTTPRouteFilter/default/ai-eg-host-rewrite-openai-route",
      "HTTPRouteFilter/default/ai-eg-route-not-found-openai-route",
    ]);
    for (const object of client.objects.values()) {
      expect((object.metadata as any).ownerReferences).toEqual([
        {
          apiVersion: "aigateway.envoyproxy.io/v1alpha1",
          kind: "AIGatewayRoute",
          name: "openai-route",
          uid: "uid-openai-route",
          controller: true,
        },
      ]);
    }
  });

  it("says which Secret is missing, and accepts once it appears", async () => {
    const { client, controller } = setup();
    allEvents()
      .slice(0, 6)
      .forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")).toMatchObject({
      status: "False",
      reason: "SecretNotFound",
      message: 'Secret "openai-secret" not found in namespace "default"',
    });
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
      status: "False",
      reason: "SecretNotFound",
      message:
        'AIServiceBackend "default/openai-backend": BackendSecurityPolicy "openai-backend-auth": Secret "openai-secret" not found in namespace "default"',
    });

    controller.onSecret(secret("openai-secret", { apiKey: "sk-test-123" }), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")?.status).toBe(
      "True",
    );
  });

  it("names a Secret key that is missing", async () => {
    const { client, controller } = setup();
    controller.onPolicy(policy(), "ADDED");
    controller.onSecret(secret("openai-secret", { apikey: "wrong case" }), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")).toMatchObject({
      status: "False",
      reason: "SecretKeyMissing",
      message: 'Secret "openai-secret" in namespace "default" has no key "apiKey"',
    });
  });

  it("names each backend that does not resolve", async () => {
    const { client, controller } = setup();
    controller.onRoute(route(), "ADDED");
    controller.onBackend(aiBackend("groq-backend"), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
      status: "False",
      reason: "BackendNotFound",
      message:
        'AIServiceBackend "openai-backend" not found in namespace "default"; AIServiceBackend "default/groq-backend": Backend "groq-backend" not found in namespace "default"',
    });
    expect(client.acceptedOf("AIServiceBackend", NS, "groq-backend")).toMatchObject({
      status: "False",
      reason: "BackendNotFound",
    });
  });

  it("refuses more distinct backends than an HTTPRoute can hold", async () => {
    const { client, controller } = setup();
    const names = Array.from({ length: 16 }, (_, i) => `b${i}`);
    controller.onRoute(route(1, names), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
      status: "False",
      reason: "TooManyBackends",
      message:
        "the route uses 16 distinct AIServiceBackends, but its HTTPRoute can hold rules for at most 15: split the route in two",
    });
  });

  it("is not Accepted until Envoy Gateway accepts the generated objects, and says what it reported", async () => {
    const { client, controller } = setup();
    allEvents().forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
      status: "False",
      reason: "WaitingForEnvoyGateway",
    });
    envoyGatewayAccepts(controller, "openai-route", [
      { type: "Accepted", status: "True", reason: "Accepted", message: "" },
      {
        type: "ResolvedRefs",
        status: "False",
        reason: "InvalidKind",
        message: "Backend API is disabled",
      },
    ]);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toMatchObject({
      status: "False",
      reason: "HTTPRouteRefsNotResolved",
      message:
        "Envoy Gateway could not resolve the backends of HTTPRoute default/openai-route (InvalidKind: Backend API is disabled)",
    });
  });

  it("writes status only when it changes, with lastTransitionTime moving only on a flip", async () => {
    const { client, controller } = setup();
    allEvents().forEach(([, send]) => send(controller));
    await controller.queue.idle();
    const waiting = client.acceptedOf("AIGatewayRoute", NS, "openai-route")!;

    // The echo of our own status write, and a resync, change nothing.
    const writes = client.statusWrites.length;
    const applies = client.applyCount;
    controller.onRoute(
      { ...route(), status: client.statuses.get(`AIGatewayRoute/${NS}/openai-route`) },
      "MODIFIED",
    );
    controller.resync();
    await controller.queue.idle();
    expect(client.statusWrites.length).toBe(writes);
    expect(client.applyCount).toBe(applies);

    // A new message with the same status keeps the transition time.
    controller.onHttpRoute(
      {
        metadata: {
          name: "openai-route",
          namespace: NS,
          ownerReferences: [{ kind: "AIGatewayRoute", name: "openai-route" }],
        },
        status: {
          parents: [
            {
              conditions: [
                { type: "Accepted", status: "False", reason: "NoGateway", message: "x" },
              ],
            },
          ],
        },
      } as any,
      "MODIFIED",
    );
    await controller.queue.idle();
    const rejected = client.acceptedOf("AIGatewayRoute", NS, "openai-route")!;
    expect(rejected.reason).toBe("HTTPRouteNotAccepted");
    expect(rejected.lastTransitionTime).toBe(waiting.lastTransitionTime);

    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    const acceptedNow = client.acceptedOf("AIGatewayRoute", NS, "openai-route")!;
    expect(acceptedNow.status).toBe("True");
    expect(acceptedNow.lastTransitionTime).not.toBe(waiting.lastTransitionTime);

    // One Warning when it first became NotAccepted (not one per reason it went through since), one
    // Normal when it became Accepted.
    const events = client.events.filter(e => e.kind === "AIGatewayRoute");
    expect(events.map(e => e.type)).toEqual(["Warning", "Normal"]);
    expect(events[1].reason).toBe("Accepted");
  });

  it("retries a reconcile that failed", async () => {
    const { client, controller } = setup();
    client.failNext = 3;
    allEvents().forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
  });

  it("removes the route's configuration when the route is deleted, and drops credentials with the policy", async () => {
    const { client, controller } = setup();
    allEvents().forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect(routeDocument(client).rules[0].backends[0].auth).toBeDefined();

    controller.onPolicy(policy(), "DELETED");
    await controller.queue.idle();
    expect(routeDocument(client).rules[0].backends[0].auth).toBeUndefined();

    controller.onRoute(route(), "DELETED");
    await controller.queue.idle();
    expect(routeDocument(client)).toBeUndefined();
  });

  it("prunes children the route no longer produces", async () => {
    const { client, controller } = setup();
    await client.apply({
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "HTTPRouteFilter",
      metadata: {
        name: "old-filter",
        namespace: NS,
        labels: { "aigateway.envoyproxy.io/route": "openai-route" },
      },
    });
    controller.onRoute(route(), "ADDED");
    await controller.queue.idle();
    expect(client.objects.has("HTTPRouteFilter/default/old-filter")).toBe(false);
  });

  it("re-reconciles routes when an Envoy Gateway Backend appears", async () => {
    const { client, controller } = setup();
    allEvents()
      .filter(([name]) => name !== "groq Backend")
      .forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("False");
    controller.onGatewayBackend(gatewayBackend("groq-backend"), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
  });

  it("puts Secret values only into the ext_proc configuration", async () => {
    const { client, controller } = setup();
    const canary = "sk-canary-7f3a9c";
    allEvents().forEach(([, send]) => send(controller));
    controller.onSecret(secret("openai-secret", { apiKey: canary }), "MODIFIED");
    await controller.queue.idle();
    expect(JSON.stringify([...client.config.values()].map(m => [...m.values()]))).toContain(canary);
    const everythingElse = JSON.stringify({
      objects: [...client.objects.values()],
      statuses: client.statusWrites,
      events: client.events,
    });
    expect(everythingElse).not.toContain(canary);
  });
});
