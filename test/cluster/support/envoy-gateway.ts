/**
 * What Envoy Gateway and the ext_proc server would see, for the cluster tests: the status Envoy
 * Gateway writes on the generated objects, and the configuration documents the controller writes.
 */
import { DEFAULT_SETTINGS } from "../../../controller/settings";
import { CONFIG_DATA_KEY, configSecretName } from "../../../contract/route-config";
import { kubectl, kubectlOk } from "./kubectl";

/** Stands in for Envoy Gateway: writes the status it writes once it accepted the generated objects. */
export function envoyGatewayReports(namespace: string, route: string, resolvedRefs = "True"): void {
  const condition = (type: string, status: string) =>
    `{"type":"${type}","status":"${status}","reason":"${status === "True" ? type : "InvalidKind"}","message":"${status === "True" ? "ok" : "the Backend API is not enabled"}","lastTransitionTime":"2026-01-01T00:00:00Z"}`;
  const gateway = '{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"ai-gateway"}';
  const controllerName = '"controllerName":"gateway.envoyproxy.io/gatewayclass-controller"';
  kubectlOk([
    "patch",
    "httproute",
    route,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    `{"status":{"parents":[{"parentRef":${gateway},${controllerName},"conditions":[${condition("Accepted", "True")},${condition("ResolvedRefs", resolvedRefs)}]}]}}`,
  ]);
  kubectlOk([
    "patch",
    "envoyextensionpolicy",
    `ai-eg-extproc-${route}`,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    `{"status":{"ancestors":[{"ancestorRef":${gateway},${controllerName},"conditions":[${condition("Accepted", "True")}]}]}}`,
  ]);
}

/** A route's configuration document, as the ext_proc server would read it, if it has one. */
export function configEntry(
  namespace: string,
  route: string,
): { rules: Array<{ backends: Array<{ id: string; auth?: { type: string } }> }> } | undefined {
  const name = configSecretName(DEFAULT_SETTINGS.configSecretPrefix, namespace, route);
  const result = kubectl([
    "get",
    "secret",
    name,
    "-n",
    DEFAULT_SETTINGS.extProcNamespace,
    "-o",
    "json",
  ]);
  if (result.code !== 0) return undefined;
  const value = JSON.parse(result.stdout).data?.[CONFIG_DATA_KEY];
  return value && JSON.parse(Buffer.from(value, "base64").toString("utf8"));
}
