/**
 * The objects that install the data plane beside the Pepr module: its namespace (Pod Security
 * `restricted`), a ServiceAccount that may read only its namespace's Secrets, a Deployment of two
 * replicas with gRPC health probes and a restricted security context, a PodDisruptionBudget, the
 * Service Envoy Gateway's generated Backends point at, and the Role that lets the controller write
 * the configuration Secrets in this namespace and nowhere else. Pure: the build writes them.
 */
import { DEFAULT_SETTINGS } from "../controller/settings";

export interface ExtProcInstall {
  /** The image to run, e.g. `registry.example/ai-gateway-extproc:0.1.0`. */
  image: string;
  /** The version label of every object. */
  version: string;
  /** Default: the namespace the controller writes the configuration Secrets to. */
  namespace?: string;
  replicas?: number;
  /** The Pepr module's ServiceAccount, which writes the configuration Secrets here. */
  controllerServiceAccount?: { namespace: string; name: string };
  /** On the data plane's ServiceAccount: what ties it to a cloud identity (install-options.ts). */
  serviceAccountAnnotations?: Record<string, string>;
  /** On its pods, beside the chart's own labels (AKS workload identity asks for one). */
  podLabels?: Record<string, string>;
}

export const EXTPROC_NAME = "ai-gateway-extproc";
/** The label the Deployment, the PodDisruptionBudget and the Service select the pods by. */
const EXTPROC_SELECTOR_LABEL = "app.kubernetes.io/name";
/** The labels every object of the install carries; `podLabels` cannot change them. */
export const EXTPROC_OWN_LABELS = [
  EXTPROC_SELECTOR_LABEL,
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/version",
] as const;
const GRPC_PORT = 1063;
const METRICS_PORT = 1064;
/** Long enough for the shutdown delay and the drain: Kubernetes never kills a draining pod. */
const TERMINATION_GRACE_SECONDS = 30;
/** Kube-proxy drops a terminating pod from its Service within seconds. */
const SHUTDOWN_DELAY_SECONDS = 5;
const DRAIN_SECONDS = 15;

export function buildExtProcManifests(install: ExtProcInstall): object[] {
  const namespace = install.namespace ?? DEFAULT_SETTINGS.extProcNamespace;
  const controller = install.controllerServiceAccount ?? {
    namespace: "pepr-system",
    name: "pepr-ai-gateway",
  };
  const labels: Record<(typeof EXTPROC_OWN_LABELS)[number], string> = {
    [EXTPROC_SELECTOR_LABEL]: EXTPROC_NAME,
    "app.kubernetes.io/part-of": "ai-gateway",
    "app.kubernetes.io/version": install.version,
  };
  const selector = { [EXTPROC_SELECTOR_LABEL]: EXTPROC_NAME };
  const metadata = (name: string) => ({ name, namespace, labels });
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          // Also for the Deployment: a template that would break the policy warns when applied.
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "latest",
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        ...metadata(EXTPROC_NAME),
        ...(install.serviceAccountAnnotations
          ? { annotations: install.serviceAccountAnnotations }
          : {}),
      },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(EXTPROC_NAME),
      // The route documents are the labelled Secrets of this namespace; nothing else is read.
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }],
    },
    roleBinding(metadata(EXTPROC_NAME), EXTPROC_NAME, { namespace, name: EXTPROC_NAME }),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata("ai-gateway-controller"),
      // The controller writes the configuration Secrets here, and Secrets in no other namespace.
      rules: [
        {
          apiGroups: [""],
          resources: ["secrets"],
          verbs: ["get", "list", "watch", "create", "patch", "delete"],
        },
      ],
    },
    roleBinding(metadata("ai-gateway-controller"), "ai-gateway-controller", controller),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(EXTPROC_NAME),
      spec: {
        replicas: install.replicas ?? 2,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...install.podLabels, ...labels } },
          spec: {
            serviceAccountName: EXTPROC_NAME,
            terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: selector },
              },
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: selector },
              },
            ],
            containers: [
              {
                name: "extproc",
                image: install.image,
                args: [],
                env: [
                  { name: "AIGW_EXTPROC_NAMESPACE", value: namespace },
                  { name: "AIGW_CONFIG_SECRET_PREFIX", value: DEFAULT_SETTINGS.configSecretPrefix },
                  { name: "AIGW_SHUTDOWN_DELAY_SECONDS", value: String(SHUTDOWN_DELAY_SECONDS) },
                  { name: "AIGW_DRAIN_SECONDS", value: String(DRAIN_SECONDS) },
                  { name: "LOG_LEVEL", value: "info" },
                ],
                ports: [
                  { name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" },
                  { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
                ],
                readinessProbe: {
                  grpc: { port: GRPC_PORT },
                  periodSeconds: 5,
                  failureThreshold: 2,
                },
                livenessProbe: {
                  grpc: { port: GRPC_PORT },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  // Not SERVING while it drains or before its routes load: only a hung server dies.
                  failureThreshold: 6,
                },
                resources: {
                  requests: { cpu: "250m", memory: "256Mi" },
                  limits: { cpu: "2", memory: "1Gi" },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: metadata(EXTPROC_NAME),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(EXTPROC_NAME),
      spec: {
        selector,
        ports: [
          {
            name: "grpc",
            port: GRPC_PORT,
            targetPort: "grpc",
            protocol: "TCP",
            appProtocol: "kubernetes.io/h2c",
          },
          { name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP" },
        ],
      },
    },
  ];
}

function roleBinding(
  metadata: { name: string; namespace: string; labels: Record<string, string> },
  role: string,
  subject: { namespace: string; name: string },
) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata,
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
    subjects: [{ kind: "ServiceAccount", ...subject }],
  };
}
