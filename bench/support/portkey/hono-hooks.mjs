/** Module hooks: every import of `@hono/node-server` but the shim's own gets the shim. */
const SHIM = new URL("./hono-without-global-override.mjs", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "@hono/node-server" && context.parentURL !== SHIM) {
    return { url: SHIM, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
