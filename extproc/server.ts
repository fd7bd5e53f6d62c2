/**
 * The ext_proc gRPC server: `envoy.service.ext_proc.v3.ExternalProcessor` over the request
 * pipeline, and the gRPC health service its probes use. One `Process` stream is one HTTP request.
 */
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type ServerDuplexStream,
} from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "winston";
import { errorMessage } from "../lib/error-message";
import type { Gateway } from "../pipeline/gateway";
import type { RequestObserver } from "../pipeline/observer";
import type { UpstreamClient } from "../pipeline/upstream-client";
import { ProtocolError, StreamProcessor } from "./processor";
import {
  EXTERNAL_PROCESSOR_SERVICE,
  externalProcessorService,
  type ProcessingRequest,
  type ProcessingResponse,
} from "./protocol";

export interface ExtProcServerOptions {
  gateway: Gateway;
  upstream: UpstreamClient;
  observer: RequestObserver;
  logger: Logger;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** Large request bodies (images in base64) pass through the server whole. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class ExtProcServer {
  private readonly server = new Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
  private readonly health = new HealthImplementation({
    "": "NOT_SERVING",
    [EXTERNAL_PROCESSOR_SERVICE]: "NOT_SERVING",
  });
  private readonly now: () => number;

  constructor(private readonly options: ExtProcServerOptions) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.server.addService(externalProcessorService(), {
      Process: (call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>) =>
        this.process(call),
    });
    this.health.addToServer(this.server);
  }

  /**
   * Listens on each address (`0.0.0.0:1063`, `127.0.0.1:0`, `unix:/path/to.sock`); resolves with the
   * ports bound, in order (0 for a Unix socket).
   */
  async listen(addresses: string[]): Promise<number[]> {
    const ports: number[] = [];
    for (const address of addresses) {
      ports.push(
        await new Promise<number>((resolve, reject) =>
          this.server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
            error ? reject(error) : resolve(port),
          ),
        ),
      );
    }
    return ports;
  }

  /** Tells the health service whether to take traffic (ready once the routes are loaded). */
  setServing(serving: boolean): void {
    const status = serving ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", status);
    this.health.setStatus(EXTERNAL_PROCESSOR_SERVICE, status);
  }

  /**
   * Stops taking streams and lets the open ones finish within `graceMs`; those still open then
   * are cancelled.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.setServing(false);
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private process(call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>): void {
    let processingMs = 0;
    // A request is reported while its last message is handled: count that message so far too.
    let messageStarted: number | undefined;
    const processingSoFar = () =>
      processingMs + (messageStarted === undefined ? 0 : performance.now() - messageStarted);
    const processor = new StreamProcessor({
      gateway: this.options.gateway,
      upstream: this.options.upstream,
      now: this.now,
      finished: summary =>
        this.options.observer.finished(summary, { processingMs: processingSoFar() }),
    });
    // Envoy waits for each answer, but a stream's answers must stay in order whatever happens.
    let chain = Promise.resolve();
    let failed = false;
    call.on("data", (message: ProcessingRequest) => {
      chain = chain.then(async () => {
        if (failed) return;
        messageStarted = performance.now();
        try {
          const response = await processor.handle(message);
          processingMs = processingSoFar();
          messageStarted = undefined;
          if (response) call.write(response);
        } catch (error) {
          failed = true;
          processor.close(error instanceof ProtocolError ? "protocol_error" : "internal_error");
          this.fail(call, error);
        }
      });
    });
    call.on("end", () => {
      void chain.then(() => {
        processor.close();
        if (!failed) call.end();
      });
    });
    call.on("cancelled", () => processor.close());
    call.on("error", () => processor.close());
  }

  /** Ends a stream with a gRPC error: Envoy then fails the request (the filter does not fail open). */
  private fail(
    call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>,
    error: unknown,
  ): void {
    const protocol = error instanceof ProtocolError;
    if (!protocol) {
      this.options.logger.error("a request failed in the ext_proc server", {
        error: errorMessage(error),
      });
    }
    call.emit("error", {
      code: protocol ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL,
      details: protocol ? error.message : "internal error in the AI gateway's ext_proc server",
    });
  }
}
