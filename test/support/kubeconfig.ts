import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
/**
 * A kubeconfig for a stand-in API server: one cluster at `server` (TLS not verified), one user with
 * a bearer token, the current context.
 */
export function tokenKubeconfig(server: string, token: string): string {
  return kubeconfigFor(server, `{token: ${token}}`);
}

/** One cluster at `server` (TLS not verified), one user (`user`, a YAML flow mapping), current. */
const kubeconfigFor = (server: string, user: string) => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: ${user}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;

/**
 * A kubeconfig whose user's token comes from an exec credential plugin written into `dir`, and a
 * count of the plugin's runs. Its credential has no expiry, so the kubeconfig reader keeps none.
 */
export function execPluginKubeconfig(
  dir: string,
  server: string,
): { kubeconfig: string; runs: () => number } {
  const runs = join(dir, "runs");
  const plugin = join(dir, "credential-plugin.sh");
  writeFileSync(
    plugin,
    `#!/bin/sh\necho run >> "${runs}"\n` +
      `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`,
    { mode: 0o755 },
  );
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    kubeconfigFor(
      server,
      `{exec: {apiVersion: client.authentication.k8s.io/v1, command: "${plugin}", interactiveMode: Never}}`,
    ),
  );
  return {
    kubeconfig,
    runs: () =>
      existsSync(runs) ? readFileSync(runs, "utf8").split("\n").filter(Boolean).length : 0,
  };
}
