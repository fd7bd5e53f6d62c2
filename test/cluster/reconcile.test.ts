import { configEntry } from "./support/config-entry";
import { fallbackExample } from "./support/examples";
import {
  acceptedReason as accepted,
  applyYaml,
  jsonpath,
  kubectl,
  kubectlOk,
  testNamespace,
  waitFor,
} from "./support/kubectl";

describe("reconciling, on a real API server", () => {
  const namespace = testNamespace("reconcile");
  const ns = namespace.name;
  afterAll(() => namespace.cleanup());

  it("accepts the fallback example applied in reverse order, once the Secrets exist and Envoy Gateway accepted", async () => {
    const documents = fallbackExample(ns).reverse();
    const secrets = documents.filter(d => /kind: Secret/.test(d));
    for (const document of documents.filter(d => !secrets.includes(d))) {
      expect(applyYaml(document, ns).stderr).not.toContain("denied");
    }
    await waitFor("the policies to miss their Secrets", () =>
      accepted(ns, "backendsecuritypolicy", "bedrock-credentials") === "SecretNotFound"
        ? true
        : undefined,
    );
    expect(accepted(ns, "aigatewayroute", "claude-with-fallback")).toBe("SecretNotFound");

    for (const secret of secrets) kubectlOk(["apply", "-n", ns, "-f", "-"], secret);
    // Envoy Gateway's controller runs: it accepts the generated objects within moments.
    await waitFor("the route to be Accepted", () =>
      accepted(ns, "aigatewayroute", "claude-with-fallback") === "Accepted" ? true : undefined,
    );
    expect(accepted(ns, "backendsecuritypolicy", "bedrock-credentials")).toBe("Accepted");
    expect(accepted(ns, "aiservicebackend", "azure")).toBe("Accepted");

    // The generated objects exist, so the real Gateway API and Envoy Gateway schemas took them.
    const names = kubectlOk([
      "get",
      "httproute,httproutefilter,backend,envoyextensionpolicy,backendtrafficpolicy",
      "-n",
      ns,
      "-l",
      "aigateway.envoyproxy.io/route=claude-with-fallback",
      "-o",
      "name",
    ]);
    expect(names.trim().split("\n").sort()).toEqual([
      "backend.gateway.envoyproxy.io/ai-eg-extproc-claude-with-fallback",
      "backendtrafficpolicy.gateway.envoyproxy.io/ai-eg-request-buffer-claude-with-fallback",
      "envoyextensionpolicy.gateway.envoyproxy.io/ai-eg-extproc-claude-with-fallback",
      "httproute.gateway.networking.k8s.io/claude-with-fallback",
      "httproutefilter.gateway.envoyproxy.io/ai-eg-host-rewrite-claude-with-fallback",
      "httproutefilter.gateway.envoyproxy.io/ai-eg-route-not-found-claude-with-fallback",
    ]);
    const config = await waitFor("the route's ext_proc configuration", () => {
      const entry = configEntry(ns, "claude-with-fallback");
      return entry?.rules[0].backends.length === 2 ? entry : undefined;
    });
    expect(config.rules[0].backends.map(b => [b.id, b.auth?.type])).toEqual([
      [`${ns}/bedrock`, "AWSCredentials"],
      [`${ns}/azure`, "AzureAPIKey"],
    ]);

    const condition = JSON.parse(
      jsonpath(
        ["aigatewayroute", "claude-with-fallback", "-n", ns],
        '{.status.conditions[?(@.type=="Accepted")]}',
      ),
    );
    expect(condition).toMatchObject({
      status: "True",
      observedGeneration: 1,
      message: "Envoy Gateway accepted the HTTPRoute and the ext_proc policy; 2 backends ready",
    });
    const events = kubectlOk([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "involvedObject.name=claude-with-fallback",
      "-o",
      "jsonpath={.items[*].reason}",
    ]);
    expect(events.split(" ")).toContain("Accepted");
  });

  it("deletes the generated objects and the configuration with the route", async () => {
    kubectlOk(["delete", "aigatewayroute", "claude-with-fallback", "-n", ns]);
    await waitFor(
      "garbage collection of the children",
      () => {
        const left = kubectl([
          "get",
          "httproute,httproutefilter,envoyextensionpolicy,backendtrafficpolicy",
          "-n",
          ns,
          "-l",
          "aigateway.envoyproxy.io/route=claude-with-fallback",
          "-o",
          "name",
        ]);
        return left.code === 0 && left.stdout.trim() === "" ? true : undefined;
      },
      60_000,
    );
    await waitFor("the configuration entry to go", () =>
      configEntry(ns, "claude-with-fallback") ? undefined : true,
    );
  });
});
