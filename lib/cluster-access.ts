/**
 * Where the API server is and how lib/kube-api.ts authenticates to it.
 *
 * In a pod, from the pod's service account, as client-go's `rest.InClusterConfig` reads it: the
 * `KUBERNETES_SERVICE_HOST`/`_PORT` variables, the CA and a token file the kubelet rotates. That
 * takes no library, and so the ext_proc image leaves `@kubernetes/client-node` out of its bundle:
 * 14 of its 23 MB of source, and about 40 MB of the server's resident memory once loaded.
 * Everywhere else, from a kubeconfig (contexts, client certificates, exec plugins), read by
 * `@kubernetes/client-node`, loaded only then. The order is that library's `loadFromDefault`:
 * `KUBECONFIG`, then `~/.kube/config`, then the service account.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface ClusterAccess {
  /** The API server's base URL, without a trailing slash. */
  server: string;
  /** What the TLS connection needs: the CA to trust, a client certificate, a server name. */
  tls: {
    ca?: string;
    cert?: string;
    key?: string;
    rejectUnauthorized?: boolean;
    servername?: string;
  };
  /** The headers that authenticate a request now: rotated tokens are read again on each call. */
  authHeaders(): Promise<Record<string, string>>;
  /**
   * The headers already read while connecting, if any: the first requests use them, so a
   * kubeconfig's credential plugin does not run twice at start.
   */
  initialHeaders?: Record<string, string>;
}

/** Where Kubernetes mounts a pod's service account. */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Points the service-account reader at another folder; for tests that run the image's bundle
 * against a local API server, where no pod mounts one.
 */
export const SERVICE_ACCOUNT_DIR_ENV = "AIGW_SERVICE_ACCOUNT_DIR";

type Env = Record<string, string | undefined>;

/** The pod's service account, or undefined outside a pod (no service host, port or token). */
export function inClusterAccess(env: Env = process.env): ClusterAccess | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const dir = env[SERVICE_ACCOUNT_DIR_ENV] || SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, "token");
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const caFile = join(dir, "ca.crt");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    // The CA is read once, at connection; only the token rotates.
    tls: existsSync(caFile) ? { ca: readFileSync(caFile, "utf8") } : {},
    authHeaders: async (): Promise<Record<string, string>> => {
      const token = (await readFile(tokenFile, "utf8")).trim();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  };
}

/** The default kubeconfig's current context, read by `@kubernetes/client-node`. */
export async function kubeconfigAccess(
  load: () => Promise<typeof import("@kubernetes/client-node")> = () =>
    import("@kubernetes/client-node"),
): Promise<ClusterAccess> {
  let config: KubeConfig;
  try {
    config = new (await load()).KubeConfig();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "MODULE_NOT_FOUND" && code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error(
      "no pod service account here (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and " +
        `${SERVICE_ACCOUNT_DIR}/token), and this build reads no kubeconfig: ` +
        "run `npx ai-gateway extproc` from the npm package to use one, or --config-dir",
    );
  }
  config.loadFromDefault();
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig names no current cluster");
  const options: AppliedOptions & ClusterAccess["tls"] = { headers: {} };
  await config.applyToHTTPSOptions(options);
  return {
    server: cluster.server.replace(/\/$/, ""),
    tls: {
      ...(options.ca !== undefined && { ca: String(options.ca) }),
      ...(options.cert !== undefined && { cert: String(options.cert) }),
      ...(options.key !== undefined && { key: String(options.key) }),
      ...(options.rejectUnauthorized !== undefined && {
        rejectUnauthorized: options.rejectUnauthorized,
      }),
      ...(cluster.tlsServerName && { servername: cluster.tlsServerName }),
    },
    initialHeaders: authorizationOf(options),
    authHeaders: async (): Promise<Record<string, string>> => {
      const current: AppliedOptions = { headers: {} };
      await config.applyToHTTPSOptions(current);
      return authorizationOf(current);
    },
  };
}

/** What `applyToHTTPSOptions` writes that authenticates: a header, or a user and password. */
interface AppliedOptions {
  headers: Record<string, string>;
  auth?: string;
}

function authorizationOf(applied: AppliedOptions): Record<string, string> {
  const authorization = applied.headers.Authorization ?? applied.headers.authorization;
  if (authorization) return { authorization };
  if (applied.auth)
    return { authorization: `Basic ${Buffer.from(applied.auth).toString("base64")}` };
  return {};
}

/** A kubeconfig when one is set or at `~/.kube/config`, else the pod's service account. */
export async function defaultClusterAccess(
  env: Env = process.env,
  home: string = homedir(),
): Promise<ClusterAccess> {
  const kubeconfigGiven = Boolean(env.KUBECONFIG) || existsSync(join(home, ".kube", "config"));
  return (!kubeconfigGiven && inClusterAccess(env)) || kubeconfigAccess();
}
