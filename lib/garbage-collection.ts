/**
 * The V8 garbage collector's settings for a process that serves requests: the ext_proc server and
 * `ai-gateway run`. Set by their commands before they serve.
 */
import { setFlagsFromString } from "node:v8";

/**
 * Turns off allocation-site pretenuring. When many requests are in flight across a young-generation
 * collection (a burst, answers waiting on a slow reader), V8 sees the objects made at their
 * allocation sites survive and from then on allocates them in the old generation, for good. A
 * proxy's per-request objects die with the request, so the old generation then fills with garbage
 * and a full mark-compact, 10 to 20 ms on one core, stops the server every few seconds. Measured by
 * bench/extproc after its saturation rounds, at 500 requests/s: garbage reaching the old generation
 * fell from about 18 KB to 5 KB a request, and the OpenAI → Bedrock p99 from 19.6 ms to 3.4–5.4 ms.
 *
 * Node documents flags changed at run time as possibly ineffective; this one is read by the
 * collector at each collection, and set before the first request.
 */
export function tuneGarbageCollectionForServing(): void {
  setFlagsFromString("--no-allocation-site-pretenuring");
}
