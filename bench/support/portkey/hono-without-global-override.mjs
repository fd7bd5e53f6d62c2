/** `@hono/node-server` whose `serve()` leaves the global Request and Response as Node has them. */
import { serve as honoServe } from "@hono/node-server";

export * from "@hono/node-server";

export const serve = (options, listener) =>
  honoServe({ ...options, overrideGlobalObjects: false }, listener);
