import { buildExtProcManifests } from "../../deploy/extproc-manifests";
import { installFromEnv } from "../../deploy/install-options";

const VERSION = "1.2.3";
const IRSA = "eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/ai-gateway";

describe("installFromEnv: the data plane's install from the build's environment", () => {
  it("names the image by version when none is given", () => {
    expect(installFromEnv({}, VERSION)).toEqual({
      image: "ai-gateway-extproc:1.2.3",
      version: VERSION,
    });
    expect(installFromEnv({ AIGW_EXTPROC_IMAGE: "registry.example/x:1" }, VERSION).image).toBe(
      "registry.example/x:1",
    );
  });

  it("takes the ServiceAccount's annotations and the pods' labels as key=value lists", () => {
    const install = installFromEnv(
      {
        AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: ` ${IRSA}, iam.gke.io/gcp-service-account = gw@p.iam.gserviceaccount.com,`,
        AIGW_EXTPROC_POD_LABELS: "azure.workload.identity/use=true",
      },
      VERSION,
    );
    expect(install.serviceAccountAnnotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/ai-gateway",
      "iam.gke.io/gcp-service-account": "gw@p.iam.gserviceaccount.com",
    });
    expect(install.podLabels).toEqual({ "azure.workload.identity/use": "true" });
  });

  it.each([
    [
      { AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "eks.amazonaws.com/role-arn" },
      'AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "eks.amazonaws.com/role-arn" is not key=value',
    ],
    [
      { AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "=arn:aws:iam::1:role/x" },
      'AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "=arn:aws:iam::1:role/x" is not key=value',
    ],
    [
      { AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "EKS.amazonaws.com/role-arn=x" },
      'AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: annotation key "EKS.amazonaws.com/role-arn": its prefix must be a DNS subdomain (lower-case, at most 253 characters)',
    ],
    [
      { AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: `${IRSA},eks.amazonaws.com/role-arn=other` },
      'AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: annotation "eks.amazonaws.com/role-arn" is given twice',
    ],
    [
      { AIGW_EXTPROC_POD_LABELS: "azure.workload.identity/use!=true" },
      `AIGW_EXTPROC_POD_LABELS: label key "azure.workload.identity/use!": its name must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ],
    [
      { AIGW_EXTPROC_POD_LABELS: "team=payments platform" },
      `AIGW_EXTPROC_POD_LABELS: label "team": its value must be empty or 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ],
    [
      { AIGW_EXTPROC_POD_LABELS: "app.kubernetes.io/name=gateway" },
      'AIGW_EXTPROC_POD_LABELS: label "app.kubernetes.io/name" is set by the manifests themselves and cannot be changed',
    ],
    [
      { AIGW_EXTPROC_POD_LABELS: "app.kubernetes.io/version=2" },
      'AIGW_EXTPROC_POD_LABELS: label "app.kubernetes.io/version" is set by the manifests themselves and cannot be changed',
    ],
    [{ AIGW_EXTPROC_IMAGE: "" }, "AIGW_EXTPROC_IMAGE must not be empty"],
  ])("refuses %j: %s", (env, message) => {
    expect(() => installFromEnv(env, VERSION)).toThrow(new Error(message));
  });

  it("names every variable that is wrong, one line each", () => {
    expect(() =>
      installFromEnv(
        { AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "x", AIGW_EXTPROC_POD_LABELS: "y" },
        VERSION,
      ),
    ).toThrow(
      new Error(
        'AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "x" is not key=value\nAIGW_EXTPROC_POD_LABELS: "y" is not key=value',
      ),
    );
  });
});

describe("the data plane's manifests with a workload identity", () => {
  const manifests = buildExtProcManifests(
    installFromEnv(
      {
        AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS: "azure.workload.identity/client-id=0000-1111",
        AIGW_EXTPROC_POD_LABELS: "azure.workload.identity/use=true",
      },
      VERSION,
    ),
  ) as { kind: string; metadata: { annotations?: object }; spec?: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- plain manifests

  it("annotates the ServiceAccount and labels the pods, keeping the selector's label", () => {
    const account = manifests.find(m => m.kind === "ServiceAccount")!;
    expect(account.metadata.annotations).toEqual({
      "azure.workload.identity/client-id": "0000-1111",
    });
    const deployment = manifests.find(m => m.kind === "Deployment")!;
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      "azure.workload.identity/use": "true",
      "app.kubernetes.io/name": "ai-gateway-extproc",
    });
    expect(deployment.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "ai-gateway-extproc",
    });
  });

  it("writes no annotations when none are asked for", () => {
    const plain = buildExtProcManifests(installFromEnv({}, VERSION)) as typeof manifests;
    expect(plain.find(m => m.kind === "ServiceAccount")!.metadata.annotations).toBeUndefined();
  });
});
