/**
 * Envoy Gateway's real verdicts, read by the controller. Each case breaks the fallback example as a
 * user could (a provider Backend missing, a Gateway listener that does not take HTTPRoutes, the
 * ext_proc Backend gone, no Gateway at all), lets Envoy Gateway's own translator write the status,
 * and checks the reason and message `envoyGatewayProblem` makes of it: the AIGatewayRoute's
 * Accepted condition is decided from exactly this status in the cluster.
 *
 * ExtProcBackendNotAccepted and the Backend API disabled are covered against the real controller
 * in test/cluster/envoy-gateway-verdicts.test.ts (egctl always enables the Backend API).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { envoyGatewayProblem } from "../../status/envoy-gateway-status";
import { ensureEgctl } from "../cluster/harness/envoy-gateway-binaries";
import {
  egctlTranslate,
  objectsOf,
  translationInput,
  type KubeObject,
  type TranslatedObject,
} from "./support/egctl-translation";
import { generatedRoutes } from "./support/generated-route";

const EXAMPLE = readFileSync(join(__dirname, "../../examples/fallback.yaml"), "utf8");
const GOLDEN = readFileSync(join(__dirname, "../cli/golden/fallback.yaml"), "utf8");
const [ROUTE] = generatedRoutes(GOLDEN);
const ROUTE_REF = `${ROUTE.namespace}/${ROUTE.name}`;

/** A YAML stream with `change` applied to each object (undefined drops the object). */
const edited = (yaml: string, change: (object: KubeObject) => KubeObject | undefined) =>
  objectsOf(yaml)
    .flatMap(object => {
      const kept = change(object);
      return kept ? [stringify(kept)] : [];
    })
    .join("---\n");

const isObject = (object: KubeObject, kind: string, name: string) =>
  object.kind === kind && object.metadata.name === name;

let egctl: string;

beforeAll(() => {
  egctl = ensureEgctl("test/go/envoy-gateway-verdicts.test.ts");
});

/** The controller's verdict on the route, from the status Envoy Gateway wrote for `input`. */
function verdictFor(example: string, golden: string) {
  const result = egctlTranslate(egctl, translationInput(example, golden));
  const named = (objects: TranslatedObject[] | undefined, name: string) =>
    objects?.find(o => o.metadata.namespace === ROUTE.namespace && o.metadata.name === name);
  return envoyGatewayProblem(ROUTE_REF, true, {
    httpRoute: named(result.httpRoutes, ROUTE.name)?.status,
    extensionPolicy: named(result.envoyExtensionPolicies, ROUTE.policy.metadata.name)?.status,
    extProcBackend: named(result.backends, `ai-eg-extproc-${ROUTE.name}`)?.status,
  });
}

describe("Envoy Gateway's verdicts, as the controller reads them", () => {
  it("finds nothing wrong with the example as it is", () => {
    expect(verdictFor(EXAMPLE, GOLDEN)).toBeUndefined();
  });

  it("HTTPRouteRefsNotResolved when a provider's Backend is missing", () => {
    const example = edited(EXAMPLE, o => (isObject(o, "Backend", "azure") ? undefined : o));
    expect(verdictFor(example, GOLDEN)).toEqual({
      accepted: false,
      reason: "HTTPRouteRefsNotResolved",
      message: `Envoy Gateway could not resolve the backends of HTTPRoute ${ROUTE_REF} (BackendNotFound: Failed to process route rule 1 backendRef 0: Backend default/azure not found.)`,
    });
  });

  it("HTTPRouteNotAccepted when the Gateway's listener does not take HTTPRoutes", () => {
    const example = edited(EXAMPLE, o => {
      if (o.kind !== "Gateway") return o;
      const gateway = structuredClone(o);
      const listeners = (gateway.spec?.listeners ?? []) as Array<Record<string, unknown>>;
      for (const listener of listeners) listener.allowedRoutes = { kinds: [{ kind: "GRPCRoute" }] };
      return gateway;
    });
    expect(verdictFor(example, GOLDEN)).toMatchObject({
      accepted: false,
      reason: "HTTPRouteNotAccepted",
      message: expect.stringMatching(
        new RegExp(
          `^Envoy Gateway did not accept HTTPRoute ${ROUTE_REF} for Gateway "ai-gateway" \\(NotAllowedByListeners: `,
        ),
      ),
    });
  });

  it("ExtensionPolicyNotAccepted when the ext_proc Backend is gone", () => {
    const golden = edited(GOLDEN, o =>
      isObject(o, "Backend", `ai-eg-extproc-${ROUTE.name}`) ? undefined : o,
    );
    expect(verdictFor(EXAMPLE, golden)).toEqual({
      accepted: false,
      reason: "ExtensionPolicyNotAccepted",
      message: `Envoy Gateway did not accept the ext_proc EnvoyExtensionPolicy of ${ROUTE_REF} (Invalid: ExtProc: backend default/ai-eg-extproc-claude-with-fallback not found.)`,
    });
  });

  it("WaitingForEnvoyGateway when the route's Gateway does not exist", () => {
    const example = edited(EXAMPLE, o => (o.kind === "Gateway" ? undefined : o));
    expect(verdictFor(example, GOLDEN)).toMatchObject({
      accepted: false,
      reason: "WaitingForEnvoyGateway",
    });
  });
});
