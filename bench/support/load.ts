/**
 * A small HTTP load generator for the gateway benchmark: closed-loop saturation (requests per
 * second with a fixed number of connections) and open-loop latency at a fixed rate (each request
 * sent on its schedule, whether or not the previous one answered, so a slow server cannot hide
 * its latency by slowing the load down).
 */
import { Pool } from "undici";

export interface Target {
  /** `http://127.0.0.1:port` */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function once(pool: Pool, target: Target): Promise<void> {
  const response = await pool.request({
    method: "POST",
    path: target.path,
    headers: target.headers,
    body: target.body,
  });
  // Read to the end: a stream is only served once its last byte is.
  for await (const chunk of response.body) void chunk;
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
}

/** Requests per second with `connections` requests always in flight, for `seconds`. */
export async function saturation(
  target: Target,
  connections: number,
  seconds: number,
): Promise<{ rps: number; errors: number }> {
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        try {
          await once(pool, target);
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  await pool.close();
  return { rps: done / seconds, errors };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Latency percentiles (ms) of requests sent at `rate` per second for `seconds`. */
export async function latencyAtRate(
  target: Target,
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number; errors: number }> {
  const pool = new Pool(target.origin, { connections: 64 });
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
    const sent = performance.now();
    inFlight.push(
      once(pool, target).then(
        () => void latencies.push(performance.now() - sent),
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}
