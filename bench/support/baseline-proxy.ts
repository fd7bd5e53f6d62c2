/**
 * The `run` benchmark's floor: the least a Node proxy can do for the same request. It reads the
 * client's body, sends it to the upstream on a kept-alive undici pool, and writes the answer back
 * as it came, with no routing, translation, credentials, log line or metrics. What it adds over a
 * direct connection is what the hop through a second process on another core costs on this
 * machine; the gateway's numbers are read against it.
 *
 *   node --import tsx bench/support/baseline-proxy.ts <upstream port>
 *
 * Prints its own port on the first line of stdout once it listens.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const upstream = new Pool(`http://127.0.0.1:${process.argv[2]}`, { keepAliveTimeout: 30_000 });

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    upstream.request(
      {
        method: "POST",
        path: request.url ?? "/",
        headers: { "content-type": "application/json" },
        body: Buffer.concat(chunks),
      },
      (error, answer) => {
        if (error) {
          response.writeHead(502).end(String(error));
          return;
        }
        const type = answer.headers["content-type"];
        response.writeHead(answer.statusCode, type ? { "content-type": type } : {});
        answer.body.pipe(response);
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
