/**
 * What Envoy Gateway and the ext_proc server would see, for the cluster tests: the status Envoy
 * Gateway writes on the generated objects, and the configuration documents the controller writes.
 */
import { kubectlOk } from "./kubectl";

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

export function configEntry(
  namespace: string,
  route: string,
): { rules: Array<{ backends: Array<{ id: string; auth?: { type: string } }> }> } | undefined {
  const secrets = JSON.parse(
    kubectlOk(["get", "secrets", "-n", "ai-gateway-system", "-o", "json"]),
  ).items;
  for (const secret of secrets) {
    const value = secret.data?.[`route_${namespace}_${route}.json`];
    if (value) return JSON.parse(Buffer.from(value, "base64").toString("utf8"));
  }
  return undefined;
}
