/**
 * A minimal OpenAI upstream for the gateway benchmark, run in its own process so that it does not
 * share an event loop with the load or the gateway: a fixed chat completion, or a stream of
 * `BENCH_STREAM_CHUNKS` chunks written at once. Prints its port on the first line of stdout.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const CHUNKS = Number(process.env.BENCH_STREAM_CHUNKS ?? 20);

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1735689600,
  model: "gpt-4o",
  choices: [
    { index: 0, message: { role: "assistant", content: "Hello there!" }, finish_reason: "stop" },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
});

const chunk = (content: string, finish: string | null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1735689600,
    model: "gpt-4o",
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  })}\n\n`;
const stream =
  Array.from({ length: CHUNKS }, (_, i) => chunk(`word${i} `, null)).join("") +
  chunk("", "stop") +
  "data: [DONE]\n\n";

const server = createServer((request, response) => {
  const body: Buffer[] = [];
  request.on("data", (part: Buffer) => body.push(part));
  request.on("end", () => {
    const streaming = Buffer.concat(body).includes('"stream":true');
    if (streaming) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(stream);
    } else {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(completion);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
