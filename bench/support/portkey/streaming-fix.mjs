/**
 * Preloaded into Portkey's gateway for the streaming comparison (`node --import`). Portkey 1.15.2
 * on Node answers every streamed OpenAI response with "Something went wrong" (TypeError:
 * immutable): `@hono/node-server` replaces the global Response with one that keeps the upstream
 * fetch response's immutable headers, which Portkey then appends to. Its own server option
 * `overrideGlobalObjects: false` avoids that; this hook starts Portkey with it.
 */
import { register } from "node:module";

register("./hono-hooks.mjs", import.meta.url);
