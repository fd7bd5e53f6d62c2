/**
 * The open-loop latency load of the ext_proc benchmark, sent by a native program (envoy-load/, in Go)
 * rather than by this process. Latency percentiles measure whatever pauses: a Node driver adds its
 * own garbage collections to every request they overlap (a continue-only server measured from Node
 * showed a p99 around three times its p50 from that alone), while Envoy, the real client, has none.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { goProgram } from "../../test/support/go-program";
import { externalProcessorService, type ProcessingResponse } from "../../extproc/protocol";
import type { SequenceResult } from "./envoy-driver";
import type { Check } from "./extproc-load";
import { pinnedCommand } from "./server-process";

const ENVOY_LOAD_DIR = join(__dirname, "envoy-load");

/** Each message as a 4-byte big-endian length and its bytes, as envoy-load reads and writes them. */
function framed(messages: readonly Buffer[]): Buffer {
  return Buffer.concat(
    messages.flatMap(message => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(message.length);
      return [length, message];
    }),
  );
}

interface EnvoyLoadSummary {
  latenciesMs: number[];
  lateMs: number[];
  errors: string[];
}

/** envoy-load's answers file: per request, the count of its answers, then each answer. */
function* answersOf(file: Buffer): Generator<Buffer[]> {
  let at = 0;
  const next = () => {
    const length = file.readUInt32BE(at);
    at += 4;
    return length;
  };
  while (at < file.length) {
    const count = next();
    const answers: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const length = next();
      answers.push(file.subarray(at, at + length));
      at += length;
    }
    yield answers;
  }
}

/** Builds envoy-load on first use (needs Go); the path of its binary. */
export const envoyLoadProgram = (): string =>
  goProgram(ENVOY_LOAD_DIR, "bench/extproc measures latency with a native driver built from Go");

export interface OpenLoop {
  /** From sending request_headers to the last answer, per request, ms. */
  latenciesMs: number[];
  /** How late each request started against its schedule, ms. */
  lateMs: number[];
}

/**
 * One request every `1000 / rate` ms to `address`, from the native driver pinned to `cpu` (when
 * set); every measured request's answers go to `check`. Runs the driver asynchronously: this
 * process must keep reading the server's stderr meanwhile, or the server's log writes back up in
 * its memory.
 */
export async function nativeOpenLoop(
  address: string,
  messages: readonly Buffer[],
  check: Check,
  options: { rate: number; warmupMs: number; measureMs: number; cpu?: number; dir: string },
): Promise<OpenLoop> {
  const input = join(options.dir, "envoy-load-messages.bin");
  const output = join(options.dir, "envoy-load-answers.bin");
  writeFileSync(input, framed(messages));
  const args = [
    ...["-address", address, "-messages", input, "-out", output],
    ...["-rate", String(options.rate)],
    ...["-warmup", `${options.warmupMs}ms`, "-measure", `${options.measureMs}ms`],
  ];
  const binary = envoyLoadProgram();
  const [file, argv] = pinnedCommand(options.cpu, binary, args);
  const { stdout } = await promisify(execFile)(file, argv, {
    maxBuffer: 64 << 20,
    encoding: "utf8",
  });
  const summary = JSON.parse(stdout) as EnvoyLoadSummary;
  const { responseDeserialize } = externalProcessorService().Process;
  let index = 0;
  for (const answers of answersOf(readFileSync(output))) {
    const error = summary.errors[index];
    const result: SequenceResult = {
      responses: answers.map(answer => responseDeserialize(answer) as ProcessingResponse),
      sentAt: 0,
      lastAt: summary.latenciesMs[index],
      ...(error ? { error } : {}),
    };
    check(result);
    index++;
  }
  return { latenciesMs: summary.latenciesMs, lateMs: summary.lateMs };
}
