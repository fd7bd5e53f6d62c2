/**
 * Drives an ext_proc server as Envoy does, for the benchmark: one `Process` stream per HTTP request
 * on one HTTP/2 connection, each message sent once the answer to the one before has arrived.
 *
 * The messages are serialized once, up front, so the driver spends its CPU on the gRPC exchange and
 * on reading the answers, not on encoding the same bytes again; the answers are decoded as a client
 * normally does, to be checked.
 */
import {
  credentials,
  makeClientConstructor,
  type Client,
  type ClientDuplexStream,
} from "@grpc/grpc-js";
import { isServing as isExtProcServing } from "../../extproc/healthcheck";
import {
  externalProcessorService,
  type ProcessingRequest,
  type ProcessingResponse,
} from "../../extproc/protocol";

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A sequence's answers and when it started and ended (performance.now() ms). */
export interface SequenceResult {
  responses: ProcessingResponse[];
  sentAt: number;
  lastAt: number;
  /** Set when the stream failed (a gRPC error, or it ended before the last answer). */
  error?: string;
}

/** Pauses a sequence after `after` answers until `until` resolves; `reached` says it got there. */
export interface Hold {
  after: number;
  reached: () => void;
  until: Promise<void>;
}

type ProcessCall = ClientDuplexStream<Buffer, ProcessingResponse>;

export class EnvoyDriver {
  private readonly client: Client & { Process(): ProcessCall };
  private readonly serialize: (message: ProcessingRequest) => Buffer;

  constructor(readonly address: string) {
    const { Process } = externalProcessorService();
    this.serialize = Process.requestSerialize;
    // The same method with the messages passed through as the bytes they were serialized to.
    const PreSerialized = makeClientConstructor(
      { Process: { ...Process, requestSerialize: (bytes: Buffer) => bytes } },
      "ExternalProcessor",
    );
    this.client = new PreSerialized(address, credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    }) as unknown as Client & { Process(): ProcessCall };
  }

  encode(messages: readonly ProcessingRequest[]): Buffer[] {
    return messages.map(message => this.serialize(message));
  }

  /** Sends `messages` on a new stream, each after the answer to the one before. Never rejects. */
  run(messages: readonly Buffer[], hold?: Hold): Promise<SequenceResult> {
    return new Promise(resolve => {
      const call = this.client.Process();
      const responses: ProcessingResponse[] = [];
      let next = 0;
      let done = false;
      const sentAt = performance.now();
      const finish = (error?: string) => {
        if (done) return;
        done = true;
        resolve({ responses, sentAt, lastAt: performance.now(), ...(error ? { error } : {}) });
      };
      const send = () => call.write(messages[next++]);
      call.on("data", (response: ProcessingResponse) => {
        responses.push(response);
        if (next === messages.length || response.immediate_response) {
          finish();
          call.end();
        } else if (hold && next === hold.after) {
          hold.reached();
          void hold.until.then(send);
        } else {
          send();
        }
      });
      call.on("error", (error: Error & { details?: string }) =>
        finish(`gRPC error: ${error.details ?? error.message}`),
      );
      call.on("end", () => finish(`the stream ended after ${responses.length} answers`));
      send();
    });
  }

  close(): void {
    this.client.close();
  }
}

/** Whether the server's gRPC health service reports the ext_proc service SERVING. */
export const isServing = (address: string): Promise<boolean> => isExtProcServing(address, 1000);
