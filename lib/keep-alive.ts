/**
 * The Kubernetes API server keeps idle connections to an admission webhook open and reuses them for
 * up to 90 s (Go's http.Transport IdleConnTimeout as client-go sets it); Node's HTTP server closes
 * an idle connection after 5 s. When both happen at once, the API server writes an AdmissionReview
 * onto a connection the module has just closed ("write: broken pipe"), does not retry the POST, and
 * the user's `kubectl apply` fails with "failed calling webhook". Seen on the local control plane
 * under a burst of creates.
 *
 * Pepr 1.1.4 creates its HTTPS server internally, with no way to pass options, so the module raises
 * the keep-alive timeout of every HTTPS server this process creates above the API server's idle
 * timeout (the headers timeout must stay above it, or Node drops the idle connection anyway).
 */
import https from "node:https";

/** Longer than the API server keeps an idle connection to a webhook. */
export const WEBHOOK_KEEP_ALIVE_MS = 95_000;

let applied = false;

/** Makes every HTTPS server created after this call keep idle connections for `WEBHOOK_KEEP_ALIVE_MS`. */
export function outlastApiServerIdleConnections(): void {
  if (applied) return;
  applied = true;
  const createServer = https.createServer;
  https.createServer = function (this: unknown, ...args: Parameters<typeof createServer>) {
    const server = createServer.apply(this, args);
    server.keepAliveTimeout = WEBHOOK_KEEP_ALIVE_MS;
    server.headersTimeout = WEBHOOK_KEEP_ALIVE_MS + 1_000;
    return server;
  } as typeof createServer;
}
