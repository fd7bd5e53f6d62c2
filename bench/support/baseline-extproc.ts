/**
 * The ext_proc benchmark's baseline: an ext_proc server that does nothing but answer each message
 * with a plain continue of the same phase, on the project's service definition and the same gRPC
 * server options as the real one. What it costs is the floor of gRPC, HTTP/2 and protobuf for the
 * same message sequence; the real server's numbers are read against it.
 *
 *   node -r tsx/cjs bench/support/baseline-extproc.ts <unix socket path>
 *
 * Logs one JSON line `{"message":"serving"}` to stderr once it listens; stops on SIGTERM.
 */
import { Server, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import {
  externalProcessorService,
  type ProcessingRequest,
  type ProcessingResponse,
} from "../../extproc/protocol";

/** The continue of each phase. */
function continueOf(message: ProcessingRequest): ProcessingResponse {
  if (message.request_headers) return { request_headers: {} };
  if (message.request_body) return { request_body: {} };
  if (message.response_headers) return { response_headers: {} };
  if (message.response_body) return { response_body: {} };
  if (message.request_trailers) return { request_trailers: {} };
  return { response_trailers: {} };
}

export async function startBaselineServer(address: string): Promise<Server> {
  const server = new Server({
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  server.addService(externalProcessorService(), {
    Process: (call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      call.on("data", (message: ProcessingRequest) => call.write(continueOf(message)));
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), error =>
      error ? reject(error) : resolve(),
    ),
  );
  return server;
}

if (require.main === module) {
  const socket = process.argv[2];
  if (!socket) {
    process.stderr.write("usage: baseline-extproc.ts <unix socket path>\n");
    process.exit(2);
  }
  startBaselineServer(`unix:${socket}`).then(
    server => {
      process.stderr.write(`${JSON.stringify({ message: "serving", pid: process.pid })}\n`);
      process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
    },
    error => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
