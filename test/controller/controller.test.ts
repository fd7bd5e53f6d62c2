import { DEFAULT_SETTINGS } from "../../controller/settings";
import { Controller } from "../../controller/controller";
import { RecordingClusterClient } from "./fake-cluster-client";
import {
  aiBackend,
  allEvents,
  envoyGatewayAccepts,
  gatewayBackend,
  NS,
  policy,
  route,
  putSecret,
  secret,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read plain manifests */

let clock = 0;
/** Retries in milliseconds, and statuses written as soon as they are known. */
const FAST = {
  queue: { concurrency: 4, baseDelayMs: 1, maxDelayMs: 5 },
  waitingGraceMs: 0,
  childStatusSettleMs: 0,
};
function setup() {
  const client = new RecordingClusterClient();
  const controller = new Controller(client, DEFAULT_SETTINGS, {
    ...FAST,
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)),
  });
  return { client, controller };
}

/** Every object of the example, the route last: everything it needs is known when it is reconciled. */
const sendAllInReverse = (controller: Controller, client: RecordingClusterClient) =>
  allEvents(client)
    .reverse()
    .forEach(([, send]) => send(controller));

/** Resolves once `done()` holds, checking after each turn of the event loop. */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 1000) throw new Error("condition never held");
    await new Promise(resolve => setImmediate(resolve));
  }
}

const routeDocument = (client: RecordingClusterClient) =>
  client.configEntries().get(`${NS}/openai-route`) as any;

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
      const events = allEvents(client);
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

  it("generates the HTTPRoute, filters, ext_proc Backend and the policies, owned by the route", async () => {
    const { client, controller } = setup();
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect([...client.objects.keys()].sort()).toEqual([
      "Backend/default/ai-eg-extproc-openai-route",
      "BackendTrafficPolicy/default/ai-eg-request-buffer-openai-route",
      "EnvoyExtensionPolicy/default/ai-eg-extproc-openai-route",
      "HTTPRoute/default/openai-route",
      "HTTPRouteFilter/default/ai-eg-host-rewrite-openai-route",
      "HTTPRouteFilter/default/ai-eg-route-not-found-openai-route",
      // The configuration, in the ext_proc server's namespace: no owner can reach it there.
      "Secret/ai-gateway-system/ai-gateway-config.default.openai-route",
    ]);
    for (const object of [...client.objects.values()].filter(o => o.kind !== "Secret")) {
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
    allEvents(client)
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

    putSecret(client, controller, secret("openai-secret", { apiKey: "sk-test-123" }));
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")?.status).toBe(
      "True",
    );
  });

  it("names a Secret key that is missing", async () => {
    const { client, controller } = setup();
    controller.events.onPolicy(policy(), "ADDED");
    putSecret(client, controller, secret("openai-secret", { apikey: "wrong case" }));
    await controller.queue.idle();
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")).toMatchObject({
      status: "False",
      reason: "SecretKeyMissing",
      message: 'Secret "openai-secret" in namespace "default" has no key "apiKey"',
    });
  });

  it("names each backend that does not resolve", async () => {
    const { client, controller } = setup();
    controller.events.onRoute(route(), "ADDED");
    controller.events.onBackend(aiBackend("groq-backend"), "ADDED");
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
    controller.events.onRoute(route(1, names), "ADDED");
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
    allEvents(client).forEach(([, send]) => send(controller));
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
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    const waiting = client.acceptedOf("AIGatewayRoute", NS, "openai-route")!;

    // The echo of our own status write, and a resync, change nothing.
    const writes = client.statusWrites.length;
    const applies = client.applyCount;
    controller.events.onRoute(
      { ...route(), status: client.statuses.get(`AIGatewayRoute/${NS}/openai-route`) },
      "MODIFIED",
    );
    controller.resync();
    await controller.queue.idle();
    expect(client.statusWrites.length).toBe(writes);
    expect(client.applyCount).toBe(applies);

    // A new message with the same status keeps the transition time.
    controller.events.onHttpRoute(
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
    allEvents(client).forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
  });

  it("removes the route's configuration when the route is deleted, and drops credentials with the policy", async () => {
    const { client, controller } = setup();
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect(routeDocument(client).rules[0].backends[0].auth).toBeDefined();

    controller.events.onPolicy(policy(), "DELETED");
    await controller.queue.idle();
    expect(routeDocument(client).rules[0].backends[0].auth).toBeUndefined();

    controller.events.onRoute(route(), "DELETED");
    await controller.queue.idle();
    expect(routeDocument(client)).toBeUndefined();
  });

  it("prunes children the route no longer produces, whether seen before or after the route", async () => {
    const { client, controller } = setup();
    const leftover = (name: string) => {
      const filter = {
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "HTTPRouteFilter",
        metadata: {
          name,
          namespace: NS,
          labels: {
            "app.kubernetes.io/managed-by": "ai-gateway",
            "aigateway.envoyproxy.io/route": "openai-route",
          },
          ownerReferences: [{ kind: "AIGatewayRoute", name: "openai-route" }],
        },
      };
      void client.apply(filter);
      controller.events.onHttpRouteFilter(filter, "ADDED");
    };
    leftover("old-filter");
    controller.events.onRoute(route(), "ADDED");
    await controller.queue.idle();
    expect(client.objects.has("HTTPRouteFilter/default/old-filter")).toBe(false);

    // A leftover the watch reports only after the route was reconciled (e.g. after a restart).
    leftover("older-filter");
    await controller.queue.idle();
    expect(client.objects.has("HTTPRouteFilter/default/older-filter")).toBe(false);
    expect(client.objects.has("HTTPRouteFilter/default/ai-eg-host-rewrite-openai-route")).toBe(
      true,
    );
  });

  it("re-reconciles routes when an Envoy Gateway Backend appears", async () => {
    const { client, controller } = setup();
    allEvents(client)
      .filter(([name]) => name !== "groq Backend")
      .forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("False");
    controller.events.onGatewayBackend(gatewayBackend("groq-backend"), "ADDED");
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
  });

  it("puts Secret values only into the ext_proc configuration", async () => {
    const { client, controller } = setup();
    const canary = "sk-canary-7f3a9c";
    allEvents(client).forEach(([, send]) => send(controller));
    putSecret(client, controller, secret("openai-secret", { apiKey: canary }), "MODIFIED");
    await controller.queue.idle();
    expect(JSON.stringify([...client.configEntries().values()])).toContain(canary);
    const everythingElse = JSON.stringify({
      objects: [...client.objects.values()].filter(o => o.kind !== "Secret"),
      statuses: client.statusWrites,
      events: client.events,
    });
    expect(everythingElse).not.toContain(canary);
  });
});

describe("Controller across restarts and bursts", () => {
  const entryKey = `${NS}/openai-route`;

  async function acceptedController() {
    const { client, controller } = setup();
    await controller.start();
    allEvents(client).forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    return client;
  }

  /** A controller started fresh against what `client` holds, as after a restart. */
  async function restarted(client: RecordingClusterClient, options: { paused?: boolean } = {}) {
    const controller = new Controller(client, DEFAULT_SETTINGS, {
      ...FAST,
      queue: { ...FAST.queue, startPaused: options.paused },
    });
    await controller.start();
    return controller;
  }

  it("keeps a route's configuration when a child's event arrives before the route's", async () => {
    const client = await acceptedController();
    const controller = await restarted(client);
    controller.events.onHttpRoute(
      {
        metadata: {
          name: "openai-route",
          namespace: NS,
          labels: {
            "app.kubernetes.io/managed-by": "ai-gateway",
            "aigateway.envoyproxy.io/route": "openai-route",
          },
          ownerReferences: [{ kind: "AIGatewayRoute", name: "openai-route" }],
        },
      } as any,
      "ADDED",
    );
    controller.resync();
    await controller.queue.idle();
    expect(client.configEntries().has(entryKey)).toBe(true);
  });

  it("removes the entry of a route deleted while it was down, on the second resync", async () => {
    const client = await acceptedController();
    const controller = await restarted(client);
    controller.resync();
    await controller.queue.idle();
    expect(client.configEntries().has(entryKey)).toBe(true);
    controller.resync();
    await controller.queue.idle();
    expect(client.configEntries().has(entryKey)).toBe(false);
  });

  it("after a restart, lists the cluster first: same configuration, no status flap, no event", async () => {
    const client = await acceptedController();
    // What the API server holds: the objects with the status the first controller wrote.
    const withStatus = <T extends { metadata?: { name?: string } }>(kind: string, object: T) => ({
      ...object,
      status: client.statuses.get(`${kind}/${NS}/${object.metadata?.name}`),
    });
    client.parents.AIGatewayRoute = [withStatus("AIGatewayRoute", route())];
    client.parents.AIServiceBackend = ["openai-backend", "groq-backend"].map(name =>
      withStatus("AIServiceBackend", aiBackend(name)),
    );
    client.parents.BackendSecurityPolicy = [withStatus("BackendSecurityPolicy", policy())];
    const [document, statusWrites, events] = [
      JSON.stringify(client.configEntries().get(entryKey)),
      client.statusWrites.length,
      client.events.length,
    ];
    const controller = await restarted(client, { paused: true });
    // The reference watches list what the routes refer to, in whatever order, then it resumes.
    allEvents(client)
      .filter(([name]) => /Backend$|Secret/.test(name) && !/AIServiceBackend/.test(name))
      .reverse()
      .forEach(([, send]) => send(controller));
    envoyGatewayAccepts(controller);
    controller.queue.resume();
    await controller.queue.idle();
    expect(JSON.stringify(client.configEntries().get(entryKey))).toBe(document);
    expect(client.statusWrites.length).toBe(statusWrites);
    expect(client.events.length).toBe(events);
  });

  it("writes each route's configuration to a Secret of its own, and only when it changes", async () => {
    const { client, controller } = setup();
    allEvents(client)
      .filter(([name]) => name !== "route")
      .forEach(([, send]) => send(controller));
    for (let i = 0; i < 20; i++) {
      const r = route();
      r.metadata!.name = `route-${i}`;
      r.metadata!.uid = `uid-route-${i}`;
      controller.events.onRoute(r, "ADDED");
    }
    await controller.queue.idle();
    expect(client.configEntries().size).toBe(20);
    expect(client.objects.has(`Secret/ai-gateway-system/ai-gateway-config.${NS}.route-7`)).toBe(
      true,
    );
    expect(client.configWrites).toBe(20);
    controller.resync();
    await controller.queue.idle();
    expect(client.configWrites).toBe(20);
  });

  it("sends no event for a new route that waits for Envoy Gateway and comes up Accepted", async () => {
    const { client, controller } = setup();
    sendAllInReverse(controller, client);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.reason).toBe(
      "WaitingForEnvoyGateway",
    );
    expect(client.events.filter(e => e.kind === "AIGatewayRoute")).toEqual([]);
    envoyGatewayAccepts(controller);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
    expect(client.events).toEqual([]);
  });
});

describe("Controller status timing", () => {
  it("writes a new route's status once when Envoy Gateway reports within the grace", async () => {
    const client = new RecordingClusterClient();
    const controller = new Controller(client, DEFAULT_SETTINGS, {
      ...FAST,
      waitingGraceMs: 60_000,
    });
    sendAllInReverse(controller, client);
    // The children are applied; the status waits for Envoy Gateway's report.
    await until(() => client.objects.has(`HTTPRoute/${NS}/openai-route`));
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")).toBeUndefined();
    envoyGatewayAccepts(controller);
    await until(() => client.acceptedOf("AIGatewayRoute", NS, "openai-route") !== undefined);
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.status).toBe("True");
    expect(client.statusWrites.filter(w => w.kind === "AIGatewayRoute")).toHaveLength(1);
    controller.queue.stop();
  });

  it("says it waits for Envoy Gateway once the grace is over", async () => {
    const client = new RecordingClusterClient();
    const controller = new Controller(client, DEFAULT_SETTINGS, { ...FAST, waitingGraceMs: 30 });
    sendAllInReverse(controller, client);
    await controller.queue.idle();
    expect(client.acceptedOf("AIGatewayRoute", NS, "openai-route")?.reason).toBe(
      "WaitingForEnvoyGateway",
    );
  });
});

describe("Controller memory", () => {
  it("keeps watched objects without their managedFields", () => {
    const { controller } = setup();
    const managedFields = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];
    const watched = { ...route(), metadata: { ...route().metadata, managedFields } };
    controller.events.onRoute(watched as any, "ADDED");
    controller.queue.stop();
    expect((controller.state.routes.get(`${NS}/openai-route`)!.metadata as any).managedFields).toBe(
      undefined,
    );
  });
});

describe("Controller and the users' Secrets", () => {
  it("reads only the Secrets a policy names, and holds nothing of the others", async () => {
    const { client, controller } = setup();
    for (let i = 0; i < 50; i++) {
      putSecret(client, controller, secret(`unrelated-${i}`, { token: "x" }));
    }
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    expect(controller.state.secrets.size).toBe(1);
    expect(new Set(client.secretReads)).toEqual(new Set([`${NS}/openai-secret`]));
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")?.status).toBe(
      "True",
    );
  });

  it("reads a named Secret again when the watch says it changed, and on resync", async () => {
    const { client, controller } = setup();
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    const reads = client.secretReads.length;

    putSecret(client, controller, secret("openai-secret", { apiKey: "sk-rotated" }), "MODIFIED");
    await controller.queue.idle();
    expect(client.secretReads.length).toBe(reads + 1);
    expect(JSON.stringify([...client.configEntries().values()])).toContain("sk-rotated");

    // An event that never came: the resync reads the Secret anyway.
    client.secrets.set(`${NS}/openai-secret`, secret("openai-secret", { apiKey: "sk-missed" }));
    controller.resync();
    await controller.queue.idle();
    expect(JSON.stringify([...client.configEntries().values()])).toContain("sk-missed");
  });

  it("says SecretNotFound once a named Secret is deleted", async () => {
    const { client, controller } = setup();
    allEvents(client).forEach(([, send]) => send(controller));
    await controller.queue.idle();
    client.secrets.delete(`${NS}/openai-secret`);
    controller.events.onSecret({ metadata: { name: "openai-secret", namespace: NS } }, "DELETED");
    await controller.queue.idle();
    expect(client.acceptedOf("BackendSecurityPolicy", NS, "openai-backend-auth")?.reason).toBe(
      "SecretNotFound",
    );
  });
});
