/**
 * Envoy Gateway's real verdicts on the generated objects, as an AIGatewayRoute reports them. Each
 * case applies the fallback example into a namespace of its own, broken as a user or an operator
 * could break it; Envoy Gateway's controller (two of them: one with the Backend API disabled) writes
 * the status, and the route's Accepted condition must say why, in the controller's words.
 */
import { ENVOY_GATEWAY_WITHOUT_BACKEND_API } from "./harness/envoy-gateway";
import { fallbackExample } from "./support/examples";
import {
  acceptedReason,
  jsonpath,
  kubectl,
  kubectlOk,
  testNamespace,
  waitFor,
} from "./support/kubectl";

const ROUTE = "claude-with-fallback";
const EXT_PROC = `ai-eg-extproc-${ROUTE}`;

interface Condition {
  status: string;
  reason: string;
  message: string;
  observedGeneration: number;
}

const namespaces: Array<{ cleanup: () => void }> = [];
afterAll(() => namespaces.forEach(namespace => namespace.cleanup()));

/** The fallback example in a fresh namespace, each document passed through `edit` (undefined drops it). */
function applyFallback(prefix: string, edit: (document: string) => string | undefined = d => d) {
  const namespace = testNamespace(prefix);
  namespaces.push(namespace);
  for (const document of fallbackExample(namespace.name)) {
    const edited = edit(document);
    if (edited) kubectlOk(["apply", "-n", namespace.name, "-f", "-"], edited);
  }
  return namespace.name;
}

/** Edits a generated object of the route in place (`type`: kubectl's patch type). */
const patchGenerated = (ns: string, kind: string, type: string, patch: unknown) =>
  kubectlOk(["patch", kind, EXT_PROC, "-n", ns, `--type=${type}`, "-p", JSON.stringify(patch)]);

const isGateway = (document: string) => /^kind: Gateway$/m.test(document);

/** The route's Accepted condition, the statuses Envoy Gateway wrote on its objects. */
const seenStatuses = (ns: string) =>
  [
    ["aigatewayroute", ROUTE, '{.status.conditions[?(@.type=="Accepted")]}'],
    ["httproute", ROUTE, "{.status.parents[*].conditions}"],
    ["envoyextensionpolicy", EXT_PROC, "{.status.ancestors[*].conditions}"],
    ["backend", EXT_PROC, "{.metadata.uid} {.metadata.generation} {.status.conditions}"],
  ]
    .map(([kind, name, path]) => {
      const seen = kubectl(["get", kind, name, "-n", ns, "-o", `jsonpath=${path}`]);
      return `${kind}/${name}: ${seen.code === 0 ? seen.stdout : seen.stderr.trim()}`;
    })
    .join("\n");

/** The route's Accepted condition once its reason is `reason`. */
const routeCondition = (ns: string, reason: string) =>
  waitFor(
    `the route's Accepted reason to be ${reason}`,
    () => {
      const condition = jsonpath(
        ["aigatewayroute", ROUTE, "-n", ns],
        '{.status.conditions[?(@.type=="Accepted")]}',
      );
      return condition && (JSON.parse(condition) as Condition).reason === reason
        ? (JSON.parse(condition) as Condition)
        : undefined;
    },
    60_000,
    () => seenStatuses(ns),
  );

describe("Envoy Gateway's real verdicts, as the route reports them", () => {
  it("WaitingForEnvoyGateway while the route's Gateway does not exist, Accepted once it does", async () => {
    let gateway = "";
    const ns = applyFallback("eg-waiting", document => {
      if (!isGateway(document)) return document;
      gateway = document;
      return undefined;
    });
    // Envoy Gateway writes nothing on a route whose Gateway it does not know.
    expect(await routeCondition(ns, "WaitingForEnvoyGateway")).toMatchObject({
      status: "False",
      message: `waiting for Envoy Gateway to accept HTTPRoute ${ns}/${ROUTE}; if this persists, check that Envoy Gateway runs and that the parent Gateway exists`,
    });
    kubectlOk(["apply", "-n", ns, "-f", "-"], gateway);
    expect(await routeCondition(ns, "Accepted")).toMatchObject({ status: "True" });
  });

  it("HTTPRouteNotAccepted when the Gateway's listener takes no HTTPRoutes", async () => {
    const ns = applyFallback("eg-listener", document =>
      isGateway(document)
        ? document.replace(
            /port: 80$/m,
            "port: 80\n      allowedRoutes:\n        kinds: [{kind: GRPCRoute}]",
          )
        : document,
    );
    expect(await routeCondition(ns, "HTTPRouteNotAccepted")).toMatchObject({
      status: "False",
      message: `Envoy Gateway did not accept HTTPRoute ${ns}/${ROUTE} for Gateway "ai-gateway" (NotAllowedByListeners: No listeners included by this parent ref allowed this attachment.)`,
    });
  });

  it("ExtProcBackendNotAccepted when the ext_proc Backend points at an address Envoy Gateway refuses", async () => {
    const ns = applyFallback("eg-extproc-backend");
    await routeCondition(ns, "Accepted");
    const generatedHost = jsonpath(
      ["backend", EXT_PROC, "-n", ns],
      "{.spec.endpoints[0].fqdn.hostname}",
    );
    expect(generatedHost).not.toBe("");
    // As AIGW_EXTPROC_HOST set to a loopback address would make it. The controller applies what
    // it generates only when that changes, so the edit stays until the Backend is deleted.
    patchGenerated(ns, "backend", "merge", {
      spec: { endpoints: [{ ip: { address: "127.0.0.1", port: 1063 } }] },
    });
    expect(await routeCondition(ns, "ExtProcBackendNotAccepted")).toMatchObject({
      status: "False",
      message: `Envoy Gateway did not accept the ext_proc Backend of ${ns}/${ROUTE} (Invalid: The Backend was not accepted: IP address 127.0.0.1 in the loopback range is only supported when using the Host infrastructure); it points at the ext_proc server's address (AIGW_EXTPROC_HOST, AIGW_EXTPROC_PORT)`,
    });
    // Deleted, the Backend is generated again as it should be, Envoy Gateway accepts it, and the
    // route no longer blames it.
    const refused = jsonpath(["backend", EXT_PROC, "-n", ns], "{.metadata.uid}");
    kubectlOk(["delete", "backend", EXT_PROC, "-n", ns]);
    await waitFor(
      "the ext_proc Backend to be generated again and accepted",
      () => {
        const [uid, endpoint, accepted] = jsonpath(
          ["backend", EXT_PROC, "-n", ns],
          '{.metadata.uid} {.spec.endpoints[0].fqdn.hostname} {.status.conditions[?(@.type=="Accepted")].status}',
        ).split(" ");
        return uid !== refused && endpoint === generatedHost && accepted === "True"
          ? true
          : undefined;
      },
      60_000,
      () => seenStatuses(ns),
    );
    // Not "Accepted" itself: that also needs Envoy Gateway to accept the ext_proc policy again,
    // which it wrote as "backend not found" meanwhile. Its status writer skips a status equal to
    // the one in its cache, and when the Backend comes back within moments its cache may not
    // hold that write yet: the policy can keep "not found" until Envoy Gateway next changes it.
    const policyStale = `(Invalid: ExtProc: backend ${ns}/${EXT_PROC} not found.)`;
    await waitFor(
      "the route to be Accepted, or to repeat the policy's stale 'not found'",
      () => {
        const condition = JSON.parse(
          jsonpath(
            ["aigatewayroute", ROUTE, "-n", ns],
            '{.status.conditions[?(@.type=="Accepted")]}',
          ),
        ) as Condition;
        const stale =
          condition.reason === "ExtensionPolicyNotAccepted" &&
          condition.message.endsWith(policyStale);
        return condition.reason === "Accepted" || stale ? true : undefined;
      },
      60_000,
      () => seenStatuses(ns),
    );
  });

  it("ExtensionPolicyNotAccepted when the ext_proc policy names a Backend that does not exist", async () => {
    const ns = applyFallback("eg-extproc-policy");
    await routeCondition(ns, "Accepted");
    patchGenerated(ns, "envoyextensionpolicy", "json", [
      { op: "replace", path: "/spec/extProc/0/backendRefs/0/name", value: "no-such-backend" },
    ]);
    expect(await routeCondition(ns, "ExtensionPolicyNotAccepted")).toMatchObject({
      status: "False",
      message: `Envoy Gateway did not accept the ext_proc EnvoyExtensionPolicy of ${ns}/${ROUTE} (Invalid: ExtProc: backend ${ns}/no-such-backend not found.)`,
    });
  });

  it("HTTPRouteRefsNotResolved when the Gateway's Envoy Gateway has its Backend API disabled", async () => {
    const ns = applyFallback("eg-no-backend-api", document =>
      isGateway(document)
        ? document.replace(
            "gatewayClassName: envoy-gateway",
            `gatewayClassName: ${ENVOY_GATEWAY_WITHOUT_BACKEND_API.gatewayClass}`,
          )
        : document,
    );
    const disabled = "Backend is disabled in Envoy Gateway configuration.";
    expect(await routeCondition(ns, "HTTPRouteRefsNotResolved")).toMatchObject({
      status: "False",
      message: `Envoy Gateway could not resolve the backends of HTTPRoute ${ns}/${ROUTE} (UnsupportedValue: Failed to process route rule 0 backendRef 0: ${disabled}\nFailed to process route rule 1 backendRef 0: ${disabled})`,
    });
    // That controller skips Backends altogether: to it the ext_proc Backend does not exist.
    const policyMessage = () =>
      jsonpath(
        ["envoyextensionpolicy", EXT_PROC, "-n", ns],
        '{.status.ancestors[0].conditions[?(@.type=="Accepted")].message}',
      );
    // Waits for this very message, as another may come first; a timeout names the last one seen.
    const notFound = `ExtProc: backend ${ns}/${EXT_PROC} not found.`;
    await waitFor(`the ext_proc policy's status to say "${notFound}"`, () => {
      const message = policyMessage();
      if (message !== notFound) throw new Error(`it says "${message}"`);
      return message;
    });
    expect(acceptedReason(ns, "aiservicebackend", "azure")).toBe("Accepted");
  });
});
