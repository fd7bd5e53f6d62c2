import { buildExtProcManifests } from "../../deploy/extproc-manifests";
import { DEFAULT_SETTINGS } from "../../controller/settings";

type Manifest = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<
  string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are plain objects
  any
>;

describe("the data plane's manifests", () => {
  const manifests = buildExtProcManifests({
    image: "registry.example/ai-gateway-extproc:1.2.3",
    version: "1.2.3",
  }) as Manifest[];
  const find = (kind: string, name = "ai-gateway-extproc") =>
    manifests.find(m => m.kind === kind && m.metadata.name === name)!;

  it("installs what the controller's generated Backends point at", () => {
    const service = find("Service");
    const host = `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
    expect(host).toBe(DEFAULT_SETTINGS.extProcHost);
    expect(service.spec.ports).toContainEqual(
      expect.objectContaining({
        port: DEFAULT_SETTINGS.extProcPort,
        appProtocol: "kubernetes.io/h2c",
      }),
    );
    const deployment = find("Deployment");
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe("registry.example/ai-gateway-extproc:1.2.3");
    expect(container.env).toContainEqual({
      name: "AIGW_EXTPROC_NAMESPACE",
      value: DEFAULT_SETTINGS.extProcNamespace,
    });
  });

  it("runs restricted: non-root, no privilege escalation, no capabilities, read-only root", () => {
    expect(find("Namespace", "ai-gateway-system").metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    const pod = find("Deployment").spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("keeps taking streams while Envoy finds the other pods, drains before Kubernetes gives up, keeps one pod through disruptions", () => {
    const pod = find("Deployment").spec.template.spec;
    const seconds = (name: string) =>
      Number(pod.containers[0].env.find((e: { name: string }) => e.name === name).value);
    const delay = seconds("AIGW_SHUTDOWN_DELAY_SECONDS");
    expect(delay).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      delay + seconds("AIGW_DRAIN_SECONDS"),
    );
    expect(find("Deployment").spec.replicas).toBe(2);
    expect(find("PodDisruptionBudget").spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "ai-gateway-extproc" } },
    });
    expect(pod.containers[0].readinessProbe.grpc).toEqual({ port: 1063 });
    expect(pod.containers[0].livenessProbe.grpc).toEqual({ port: 1063 });
  });

  it("lets the server only read Secrets, and the controller only write them, in this namespace", () => {
    expect(find("Role").rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
    ]);
    expect(find("RoleBinding", "ai-gateway-controller").subjects).toEqual([
      { kind: "ServiceAccount", namespace: "pepr-system", name: "pepr-ai-gateway" },
    ]);
    expect(manifests.filter(m => m.kind.startsWith("Cluster"))).toEqual([]);
  });
});
