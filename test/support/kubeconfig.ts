/**
 * A kubeconfig for a stand-in API server: one cluster at `server` (TLS not verified), one user with
 * a bearer token, the current context.
 */
export function tokenKubeconfig(server: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: ${token}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;
}
