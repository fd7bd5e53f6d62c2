import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultClusterAccess,
  inClusterAccess,
  kubeconfigAccess,
  SERVICE_ACCOUNT_DIR_ENV,
} from "../../lib/cluster-access";
import { execPluginKubeconfig, tokenKubeconfig } from "../support/kubeconfig";
import { restoreEnvAfterEach } from "../support/env-restore";
import { tempDirsRemovedAfterEach } from "../support/temp-dirs";

const tempDir = tempDirsRemovedAfterEach();

/** A folder laid out as the kubelet mounts a pod's service account. */
function serviceAccountDir(files: { token?: string; ca?: string } = {}): string {
  const dir = tempDir("cluster-access-");
  if (files.token !== undefined) writeFileSync(join(dir, "token"), files.token);
  if (files.ca !== undefined) writeFileSync(join(dir, "ca.crt"), files.ca);
  return dir;
}

const pod = (dir: string, host = "10.96.0.1") => ({
  KUBERNETES_SERVICE_HOST: host,
  KUBERNETES_SERVICE_PORT: "443",
  [SERVICE_ACCOUNT_DIR_ENV]: dir,
});

const KUBECONFIG = tokenKubeconfig("https://kube.example:6443/", "from-kubeconfig");

describe("inClusterAccess", () => {
  it("reads the pod's service account: server, CA and bearer token", async () => {
    const dir = serviceAccountDir({ token: "sa-token\n", ca: "-----BEGIN CERTIFICATE-----\n" });
    const access = inClusterAccess(pod(dir))!;
    expect(access.server).toBe("https://10.96.0.1:443");
    expect(access.tls).toEqual({ ca: "-----BEGIN CERTIFICATE-----\n" });
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer sa-token" });
  });

  it("reads the token again on each call, as the kubelet rotates it", async () => {
    const dir = serviceAccountDir({ token: "first" });
    const access = inClusterAccess(pod(dir))!;
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer first" });
    writeFileSync(join(dir, "token"), "second");
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer second" });
  });

  it("brackets an IPv6 service host", () => {
    const dir = serviceAccountDir({ token: "t" });
    expect(inClusterAccess(pod(dir, "fd00:10:96::1"))!.server).toBe("https://[fd00:10:96::1]:443");
  });

  it("trusts the system's CAs when the pod has no ca.crt", () => {
    expect(inClusterAccess(pod(serviceAccountDir({ token: "t" })))!.tls).toEqual({});
  });

  it.each([
    ["no service host", { KUBERNETES_SERVICE_HOST: "" }],
    ["no service port", { KUBERNETES_SERVICE_PORT: undefined }],
  ])("is not in a pod with %s", (_, change) => {
    const dir = serviceAccountDir({ token: "t" });
    expect(inClusterAccess({ ...pod(dir), ...change })).toBeUndefined();
  });

  it("is not in a pod without a token file", () => {
    expect(inClusterAccess(pod(serviceAccountDir()))).toBeUndefined();
  });
});

describe("kubeconfigAccess", () => {
  it("says what to do where the build leaves the kubeconfig reader out", async () => {
    const missing = Object.assign(new Error("Cannot find package '@kubernetes/client-node'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    await expect(kubeconfigAccess(() => Promise.reject(missing))).rejects.toThrow(
      "no pod service account here (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and " +
        "/var/run/secrets/kubernetes.io/serviceaccount/token), and this build reads no " +
        "kubeconfig: run `npx ai-gateway extproc` from the npm package to use one, or --config-dir",
    );
  });

  it("passes on any other failure to load it", async () => {
    await expect(kubeconfigAccess(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  });
});

describe("defaultClusterAccess", () => {
  restoreEnvAfterEach("KUBECONFIG", "HOME");

  const withKubeconfig = () => {
    const dir = tempDir("cluster-access-home-");
    writeFileSync(join(dir, "kubeconfig"), KUBECONFIG);
    return join(dir, "kubeconfig");
  };

  it("takes KUBECONFIG over the pod's service account, as client-go does", async () => {
    process.env.KUBECONFIG = withKubeconfig();
    const env = { ...pod(serviceAccountDir({ token: "sa" })), KUBECONFIG: process.env.KUBECONFIG };
    const access = await defaultClusterAccess(env, tempDir("home-"));
    expect(access.server).toBe("https://kube.example:6443");
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer from-kubeconfig" });
  });

  it("takes ~/.kube/config over the pod's service account", async () => {
    const home = tempDir("home-");
    mkdirSync(join(home, ".kube"));
    writeFileSync(join(home, ".kube", "config"), KUBECONFIG);
    delete process.env.KUBECONFIG;
    process.env.HOME = home; // where the kubeconfig reader looks
    const access = await defaultClusterAccess(pod(serviceAccountDir({ token: "sa" })), home);
    expect(access.server).toBe("https://kube.example:6443");
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer from-kubeconfig" });
  });

  it("reads the pod's service account when no kubeconfig is given", async () => {
    const env = pod(serviceAccountDir({ token: "sa" }));
    const access = await defaultClusterAccess(env, tempDir("home-"));
    expect(access.server).toBe("https://10.96.0.1:443");
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer sa" });
  });
});

describe("kubeconfigAccess with an exec plugin", () => {
  restoreEnvAfterEach("KUBECONFIG");

  it("hands over the headers the plugin gave while connecting, and runs it again for each refresh", async () => {
    const plugin = execPluginKubeconfig(
      tempDir("cluster-access-exec-"),
      "https://kube.example:6443",
    );
    process.env.KUBECONFIG = plugin.kubeconfig;
    const runCount = plugin.runs;

    const access = await kubeconfigAccess();
    expect(access.initialHeaders).toEqual({ authorization: "Bearer from-plugin" });
    expect(runCount()).toBe(1);
    expect(await access.authHeaders()).toEqual({ authorization: "Bearer from-plugin" });
    expect(runCount()).toBe(2);
  });
});
