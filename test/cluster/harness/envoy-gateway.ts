/**
 * Envoy Gateway's controller, run out of cluster against the local API server as the module is, so
 * that the status on the generated objects is the one Envoy Gateway really writes. Two controllers
 * run side by side, each with its own GatewayClass (controllerName) and namespace: one as the
 * README's install asks (the Backend API enabled), one with the Backend API off, so that tests see
 * what Envoy Gateway really makes of a route when it is.
 *
 * Without a kubelet, the Envoy proxy Deployments it creates never run and Gateways get no address;
 * routes and policies still get their status, which is all the controller reads.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Certificates } from "./certs";
import { RUN_DIR } from "./paths";
import { startProcess, waitUntil } from "./processes";
import { freePort } from "../../support/free-port";

export interface EnvoyGatewayInstance {
  /** The GatewayClass this controller handles; Gateways name it in `gatewayClassName`. */
  gatewayClass: string;
  controllerName: string;
  /** Where it keeps its own objects (the Envoy proxies' Deployments, Services, Secrets). */
  namespace: string;
  backendApi: boolean;
}

/** The controller the examples' Gateways (`gatewayClassName: envoy-gateway`) are handled by. */
const ENVOY_GATEWAY: EnvoyGatewayInstance = {
  gatewayClass: "envoy-gateway",
  controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
  namespace: "envoy-gateway-system",
  backendApi: true,
};

/** A second controller whose Backend API is disabled (Envoy Gateway's default). */
export const ENVOY_GATEWAY_WITHOUT_BACKEND_API: EnvoyGatewayInstance = {
  gatewayClass: "envoy-gateway-without-backend-api",
  controllerName: "gateway.envoyproxy.io/gatewayclass-controller-without-backend-api",
  namespace: "envoy-gateway-without-backend-api",
  backendApi: false,
};

export const ENVOY_GATEWAYS = [ENVOY_GATEWAY, ENVOY_GATEWAY_WITHOUT_BACKEND_API];

/**
 * Its configuration: no leader election (one replica), no topology-injector webhook (it would serve
 * on the fixed port 9443 from /certs), no Prometheus endpoint, and its admin server on `adminPort`.
 * Envoy Gateway ignores unknown fields here, so a misspelt one silently does nothing.
 */
function configuration(instance: EnvoyGatewayInstance, adminPort: number): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: ${instance.controllerName}
provider:
  type: Kubernetes
  kubernetes:
    leaderElection:
      disable: true
    proxyTopologyInjector:
      disabled: true
logging:
  level:
    default: info
admin:
  address:
    host: 127.0.0.1
    port: ${adminPort}
telemetry:
  metrics:
    prometheus:
      disable: true
extensionApis:
  enableBackend: ${instance.backendApi}
`;
}

/**
 * What a controller needs in the API server before it starts, applied in one kubectl call: its
 * namespace, the Secret Envoy Gateway's certgen job makes for the Envoy proxies (without it every
 * translation logs an error), and its GatewayClass.
 */
function controllerObjects(instance: EnvoyGatewayInstance, certs: Certificates): string {
  const pem = (file: string) => readFileSync(file).toString("base64");
  return JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: instance.namespace } },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "envoy", namespace: instance.namespace },
        type: "kubernetes.io/tls",
        data: {
          "ca.crt": pem(certs.ca),
          "tls.crt": pem(certs.envoyGateway),
          "tls.key": pem(certs.envoyGatewayKey),
        },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: instance.gatewayClass },
        spec: { controllerName: instance.controllerName },
      },
    ],
  });
}

/**
 * Starts one controller in a folder of its own (its working directory: it reads its xDS certificates
 * from `certs/` there) and returns its pid. `kubectl` runs against the local API server.
 */
export async function startEnvoyGateway(
  instance: EnvoyGatewayInstance,
  binary: string,
  certs: Certificates,
  kubeconfig: string,
  kubectl: (args: string[], input?: string) => string,
): Promise<number> {
  const dir = join(RUN_DIR, instance.gatewayClass);
  mkdirSync(join(dir, "certs"), { recursive: true });
  copyFileSync(certs.envoyGateway, join(dir, "certs", "tls.crt"));
  copyFileSync(certs.envoyGatewayKey, join(dir, "certs", "tls.key"));
  copyFileSync(certs.ca, join(dir, "certs", "ca.crt"));
  writeFileSync(join(dir, "config.yaml"), configuration(instance, await freePort()));
  kubectl(["apply", "-f", "-"], controllerObjects(instance, certs));
  return startProcess(
    binary,
    ["server", "--config-path", "config.yaml"],
    join(RUN_DIR, `${instance.gatewayClass}.log`),
    {
      cwd: dir,
      env: { ...process.env, KUBECONFIG: kubeconfig, ENVOY_GATEWAY_NAMESPACE: instance.namespace },
    },
  );
}

/** Waits until the controller accepted its GatewayClass: it is watching and writing status. */
export function waitForEnvoyGateway(
  instance: EnvoyGatewayInstance,
  kubectl: (args: string[]) => string,
): Promise<void> {
  return waitUntil(
    `Envoy Gateway to accept GatewayClass ${instance.gatewayClass} (see .testcluster/run/${instance.gatewayClass}.log)`,
    () =>
      kubectl([
        "get",
        "gatewayclass",
        instance.gatewayClass,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Accepted")].status}',
      ]) === "True",
    60_000,
  );
}
