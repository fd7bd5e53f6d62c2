import { PeprValidateRequest } from "pepr";
import { aiGateway } from "../../capabilities/ai-gateway";
import { controller, settings } from "../../capabilities/ai-gateway/startup";

type Binding = (typeof aiGateway.bindings)[number];
type WatchPhase = Parameters<NonNullable<Binding["watchCallback"]>>[1];
type Action = "validate" | "reconcile";

const KINDS = [
  { kind: "AIGatewayRoute", plural: "aigatewayroutes", handler: "onRoute" },
  { kind: "AIServiceBackend", plural: "aiservicebackends", handler: "onBackend" },
  { kind: "BackendSecurityPolicy", plural: "backendsecuritypolicies", handler: "onPolicy" },
] as const;
const HANDLERS = KINDS.map(k => k.handler);

/** What a binding does: Pepr marks Validate bindings isValidate, Reconcile ones isWatch and isQueue. */
const actionOf = (binding: Binding) =>
  binding.isValidate
    ? "validate"
    : binding.isWatch && binding.isQueue
      ? "reconcile"
      : binding.isWatch
        ? "watch"
        : binding.isMutate
          ? "mutate"
          : "other";

function bindingFor(kind: string, event: string, action: Action): Binding {
  const found = aiGateway.bindings.filter(
    b => b.kind.kind === kind && b.event === event && actionOf(b) === action,
  );
  expect(found).toHaveLength(1);
  return found[0];
}

const objectOf = (kind: string, spec: unknown = {}) => ({
  apiVersion: "aigateway.envoyproxy.io/v1alpha1",
  kind,
  metadata: { name: "x", namespace: "default" },
  spec,
});

function createRequest(kind: string, plural: string, object: unknown) {
  return new PeprValidateRequest({
    uid: "uid-1",
    kind: { group: "aigateway.envoyproxy.io", version: "v1alpha1", kind },
    resource: { group: "aigateway.envoyproxy.io", version: "v1alpha1", resource: plural },
    name: "x",
    namespace: "default",
    operation: "CREATE",
    userInfo: {},
    object,
  } as never);
}

describe("the ai-gateway capability", () => {
  afterEach(() => jest.restoreAllMocks());

  it("validates and reconciles each kind on create and update, and reconciles its deletion", () => {
    const bindings = aiGateway.bindings.map(b => [
      b.kind.kind,
      b.kind.group,
      b.kind.version,
      b.kind.plural,
      b.event,
      actionOf(b),
    ]);
    expect(bindings).toEqual(
      KINDS.flatMap(({ kind, plural }) => [
        [kind, "aigateway.envoyproxy.io", "v1alpha1", plural, "CREATEORUPDATE", "validate"],
        [kind, "aigateway.envoyproxy.io", "v1alpha1", plural, "CREATEORUPDATE", "reconcile"],
        [kind, "aigateway.envoyproxy.io", "v1alpha1", plural, "DELETE", "reconcile"],
      ]),
    );
  });

  it("watches every object of each kind: no name, namespace, label or annotation filter", () => {
    for (const binding of aiGateway.bindings) {
      expect(binding.filters).toEqual({
        name: "",
        namespaces: [],
        regexNamespaces: [],
        regexName: "",
        labels: {},
        annotations: {},
        deletionTimestamp: false,
      });
    }
  });

  // An empty spec fails the schema before any lookup, so the message shows which kind's rules ran.
  it.each([
    { kind: "AIGatewayRoute", plural: "aigatewayroutes", denial: "spec.rules: Required value" },
    {
      kind: "AIServiceBackend",
      plural: "aiservicebackends",
      denial: "spec.schema: Required value; spec.backendRef: Required value",
    },
    {
      kind: "BackendSecurityPolicy",
      plural: "backendsecuritypolicies",
      denial:
        'spec.type: Unsupported value: undefined: supported values: "APIKey", "AWSCredentials", "AzureAPIKey", "AzureCredentials", "GCPCredentials", "AnthropicAPIKey"',
    },
  ])("validates $kind objects with the $kind rules", async ({ kind, plural, denial }) => {
    const binding = bindingFor(kind, "CREATEORUPDATE", "validate");
    const response = await binding.validateCallback!(createRequest(kind, plural, objectOf(kind)));
    expect(response).toEqual({ allowed: false, statusMessage: denial });
  });

  it.each(
    KINDS.flatMap(({ kind, handler }) => [
      { kind, event: "CREATEORUPDATE", phase: "ADDED", handler, expected: "ADDED" },
      { kind, event: "CREATEORUPDATE", phase: "MODIFIED", handler, expected: "MODIFIED" },
      { kind, event: "DELETE", phase: "DELETED", handler, expected: "DELETED" },
    ]),
  )(
    "reconciles $kind on $event seen as $phase with controller.events.$handler($expected)",
    async ({ kind, event, phase, handler, expected }) => {
      const calls = Object.fromEntries(
        HANDLERS.map(name => [
          name,
          jest.spyOn(controller.events, name).mockImplementation(() => {}),
        ]),
      );
      const object = objectOf(kind);
      await bindingFor(kind, event, "reconcile").watchCallback!(object, phase as WatchPhase);
      expect(calls[handler].mock.calls).toEqual([[object, expected]]);
      for (const other of HANDLERS.filter(name => name !== handler)) {
        expect(calls[other]).not.toHaveBeenCalled();
      }
    },
  );

  it("resyncs the controller every resyncSeconds once its schedule store is ready", () => {
    expect(aiGateway.hasSchedule).toBe(true);
    const resync = jest.spyOn(controller, "resync").mockImplementation(() => {});
    jest.useFakeTimers();
    try {
      // What Pepr's watcher does when the schedule store loads: the schedules start.
      const store = aiGateway.getScheduleStore();
      store.registerSender(() => {});
      store.receive({});
      const period = settings.resyncSeconds * 1000;
      jest.advanceTimersByTime(period - 1);
      expect(resync).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(resync).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(period);
      expect(resync).toHaveBeenCalledTimes(2);
    } finally {
      jest.clearAllTimers();
      jest.useRealTimers();
    }
  });
});
