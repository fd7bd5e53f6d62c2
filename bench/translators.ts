/**
 * What the translators cost on the data plane, per (endpoint, backend schema) pair of the support
 * matrix, on one thread:
 * - request: median time of `createTranslator` + `translateRequest` of a ~4 KB body (a fresh
 *   translator per request, as the ext_proc server does), against `JSON.parse` + `JSON.stringify` of
 *   the same body;
 * - stream (chat pairs): MB/s of provider stream bytes in, for ~1 MB of the provider's real wire
 *   format in 1–16 KB network chunks, against a `TextDecoder` + line split of the same chunks.
 * Ratios against the baselines measured in the same run are what compares across machines. Targets:
 * request ≤ 30 µs median, stream ≥ 50 MB/s; a miss is printed, not failed. The run exits non-zero
 * when a pair throws or its output is not the success path (wrong text, an error event, no [DONE]).
 *
 *   npm run bench:translators            (pin to one core with `taskset -c 0 npm run …` on Linux)
 */
import { cpus } from "node:os";
import {
  createTranslator,
  SUPPORTED_ENDPOINTS,
  SUPPORTED_PAIRS,
  type SupportedPair,
} from "../translators";
import type { APISchemaName } from "../api/v1alpha1";
import type { BackendTarget, ClientEndpoint, TranslatorDeps } from "../translators/types";
import { seededRandom } from "../test/support/seeded-random";
import { measureNsPerCall, median, type MeasureOptions } from "./support/measure";
import {
  anthropicStream,
  bedrockConverseStream,
  decodeEventTypes,
  geminiStream,
  networkChunks,
  openAIChatStream,
  type ProviderStream,
} from "./support/provider-streams";
import {
  chatBody,
  completionsBody,
  embeddingsBody,
  reasoningChatBody,
} from "./support/request-bodies";
import { markdownTable } from "./support/table";

const REQUEST_TARGET_US = 30;
const STREAM_TARGET_MBPS = 50;
/** Provider stream size; MB here and in the output is 10^6 bytes. */
const STREAM_BYTES = 1_000_000;
const SEED = 20_250_502;

/**
 * Every measurement runs in ROUNDS interleaved rounds and reports the median of its round medians,
 * so a burst of contention from a neighbour (a VM, a second process) skews one round of a few
 * measurements rather than all samples of one. Each pair's baseline is measured right before it in
 * every round, and its ratio is the median of the per-round ratios.
 */
const ROUNDS = 3;

/** Timing for one kind of measurement; the first round warms up longer, for the JIT. */
interface RoundTiming extends MeasureOptions {
  firstRoundWarmupMs: number;
}
const REQUEST_TIMING: RoundTiming = { firstRoundWarmupMs: 100, warmupMs: 20, budgetMs: 120 };
const STREAM_TIMING: RoundTiming = {
  firstRoundWarmupMs: 200,
  warmupMs: 30,
  budgetMs: 220,
  minSamples: 7,
};
/** A few ms per pass: a shorter budget still gives dozens of samples. */
const STREAM_BASELINE_TIMING: RoundTiming = {
  firstRoundWarmupMs: 100,
  warmupMs: 20,
  budgetMs: 100,
};

/** A backend of each schema, as an AIServiceBackend would configure it. Keyed by every schema. */
const BACKENDS: Record<APISchemaName, BackendTarget> = {
  OpenAI: { schema: { name: "OpenAI" } },
  AzureOpenAI: { schema: { name: "AzureOpenAI", version: "2024-10-21" } },
  GCPVertexAI: { schema: { name: "GCPVertexAI" } },
  GCPAnthropic: { schema: { name: "GCPAnthropic" } },
  Anthropic: { schema: { name: "Anthropic" } },
  AWSBedrock: { schema: { name: "AWSBedrock" } },
};

/**
 * The backend a pair is measured against. Bedrock chooses its embeddings body by the model's family,
 * so its embeddings backend names one: Cohere Embed v4 takes the body's 24 texts and its dimensions.
 */
function backendOf(pair: SupportedPair): BackendTarget {
  const backend = BACKENDS[pair.schema];
  return pair.endpoint === "/v1/embeddings" && pair.schema === "AWSBedrock"
    ? { ...backend, modelNameOverride: "cohere.embed-v4:0" }
    : backend;
}

const REQUEST_BODIES: Record<ClientEndpoint, object> = {
  "/v1/chat/completions": chatBody,
  "/v1/embeddings": embeddingsBody,
  "/v1/completions": completionsBody,
};

interface StreamInput {
  /** What the bytes are, for the inputs table. */
  format: string;
  build: (targetBytes: number, seed: number) => ProviderStream;
}

const OPENAI_SSE: StreamInput = { format: "OpenAI chunk SSE", build: openAIChatStream };
const ANTHROPIC_SSE: StreamInput = { format: "Anthropic Messages SSE", build: anthropicStream };
const STREAM_INPUTS: Record<APISchemaName, StreamInput> = {
  OpenAI: OPENAI_SSE,
  AzureOpenAI: OPENAI_SSE,
  GCPVertexAI: { format: "Gemini alt=sse", build: geminiStream },
  GCPAnthropic: ANTHROPIC_SSE,
  Anthropic: ANTHROPIC_SSE,
  AWSBedrock: { format: "Bedrock eventstream", build: bedrockConverseStream },
};

const CHAT: ClientEndpoint = "/v1/chat/completions";

/** Deterministic deps: translators must not depend on the clock or randomness to be measured. */
function benchDeps(): TranslatorDeps {
  let next = 0;
  return { nowSeconds: () => 1_746_180_131, newId: () => `bench-${++next}` };
}

const pairName = ({ endpoint, schema }: SupportedPair) => `${endpoint} → ${schema}`;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One translated request, as the data plane makes it. */
function translateOnce(pair: SupportedPair, body: unknown) {
  return createTranslator(pair.endpoint, backendOf(pair), benchDeps()).translateRequest({
    path: pair.endpoint,
    headers: { "content-type": "application/json" },
    body,
  });
}

/** Why a translated request is not a valid success, or undefined when it is. */
function checkRequest(pair: SupportedPair, body: object): string | undefined {
  const before = JSON.stringify(body);
  const upstream = translateOnce(pair, body);
  if (JSON.stringify(body) !== before) {
    return "translateRequest changed the client body it was given";
  }
  if (upstream.body.byteLength === 0) return "the upstream body is empty";
  try {
    JSON.parse(new TextDecoder().decode(upstream.body));
  } catch {
    return "the upstream body is not JSON";
  }
  return undefined;
}

const DONE = new TextEncoder().encode("data: [DONE]\n\n");

function endsWithDone(bytes: Uint8Array | undefined): boolean {
  if (!bytes || bytes.byteLength < DONE.byteLength) return false;
  const tail = bytes.subarray(bytes.byteLength - DONE.byteLength);
  return tail.every((byte, i) => byte === DONE[i]);
}

/** Streams the chunks through a fresh translator; returns the client output pieces. */
function streamOnce(pair: SupportedPair, chunks: Uint8Array[]): Uint8Array[] {
  const translator = createTranslator(pair.endpoint, backendOf(pair), benchDeps());
  translator.translateRequest({ path: pair.endpoint, headers: {}, body: chatBody });
  const stream = translator.createStreamTranslator();
  const out = chunks.map(chunk => stream.push(chunk));
  out.push(stream.end());
  return out;
}

interface ClientStreamChunk {
  error?: { message?: string };
  choices?: {
    delta?: { content?: string | null; tool_calls?: { function?: { arguments?: string } }[] };
  }[];
}

/** Why the client stream is not the translation of `expected`, or undefined when it is. */
function checkStreamOutput(output: Uint8Array[], expected: ProviderStream): string | undefined {
  const text = Buffer.concat(output).toString("utf8");
  if (text.length === 0) return "the client stream is empty";
  if (!text.endsWith("data: [DONE]\n\n")) return "the client stream does not end with data: [DONE]";
  let content = "";
  let toolArguments = "";
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.startsWith("data: ") ? event.slice("data: ".length) : undefined;
    if (data === undefined || data === "[DONE]") continue;
    const chunk = JSON.parse(data) as ClientStreamChunk;
    if (chunk.error) return `the client stream has an error event: ${chunk.error.message}`;
    for (const choice of chunk.choices ?? []) {
      content += choice.delta?.content ?? "";
      for (const call of choice.delta?.tool_calls ?? []) {
        toolArguments += call.function?.arguments ?? "";
      }
    }
  }
  if (content !== expected.content) {
    return `the client text differs from the provider's (${content.length} of ${expected.content.length} characters)`;
  }
  if (toolArguments !== expected.toolArguments) {
    return "the client tool-call arguments differ from the provider's";
  }
  return undefined;
}

/** The stream baseline: decode the same chunks as UTF-8 and split them into lines, nothing more. */
function decodeAndSplitLines(chunks: Uint8Array[]): number {
  const decoder = new TextDecoder();
  let rest = "";
  let lines = 0;
  for (const chunk of chunks) {
    const split = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = split.pop() ?? "";
    lines += split.length;
  }
  return lines + (rest + decoder.decode()).split("\n").length;
}

const mbPerSecond = (bytes: number, ns: number) => (bytes * 1e3) / ns;

/** Round values per key (medians in ns, or ratios); what is reported is their median. */
class RoundMedians {
  private readonly byKey = new Map<string, number[]>();
  private round = 0;

  startRound(round: number) {
    this.round = round;
  }

  /** Measures `fn` once more and returns its median. */
  async measure(key: string, fn: () => unknown, timing: RoundTiming): Promise<number> {
    const warmupMs = this.round === 0 ? timing.firstRoundWarmupMs : timing.warmupMs;
    const { medianNs } = await measureNsPerCall(fn, { ...timing, warmupMs });
    this.record(key, medianNs);
    return medianNs;
  }

  record(key: string, value: number): void {
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), value]);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The median of the key's round values. */
  median(key: string): number {
    return median(this.byKey.get(key) ?? []);
  }
}

interface PreparedStream {
  input: StreamInput;
  stream: ProviderStream;
  chunks: Uint8Array[];
}

function prepareStream(input: StreamInput): PreparedStream {
  const stream = input.build(STREAM_BYTES, SEED);
  return { input, stream, chunks: networkChunks(stream.bytes, seededRandom(SEED + 1)) };
}

/** A pair that passed its checks, with the stream it is measured on (chat pairs only). */
interface MeasuredPair {
  pair: SupportedPair;
  stream?: PreparedStream;
}

/** Why the pair cannot be measured on its success path, or undefined when it can. */
function checkPair({ pair, stream }: MeasuredPair): string | undefined {
  try {
    const requestProblem = checkRequest(pair, REQUEST_BODIES[pair.endpoint]);
    if (requestProblem || !stream) return requestProblem;
    return checkStreamOutput(streamOnce(pair, stream.chunks), stream.stream);
  } catch (error) {
    return `threw: ${messageOf(error)}`;
  }
}

/** One timed stream: the whole provider stream through a fresh translator. */
function timedStream(pair: SupportedPair, chunks: Uint8Array[]): void {
  const out = streamOnce(pair, chunks);
  // The passthrough emits [DONE] with the provider's last bytes and an empty end(); either way
  // the last non-empty piece must end the stream, or this run measured something else.
  const last = out.findLast(piece => piece.byteLength > 0);
  if (!endsWithDone(last)) throw new Error("a timed stream run did not end with data: [DONE]");
}

interface Row {
  pair: SupportedPair;
  requestUs?: number;
  requestRatio?: number;
  streamMBps?: number;
  streamRatio?: number;
  /** Set when the pair threw or produced something other than the success path. */
  error?: string;
}

function verdict(row: Row): string {
  if (row.error) return `ERROR: ${row.error}`;
  const misses = [
    row.requestUs !== undefined && row.requestUs > REQUEST_TARGET_US && "request",
    row.streamMBps !== undefined && row.streamMBps < STREAM_TARGET_MBPS && "stream",
  ].filter(Boolean);
  return misses.length === 0 ? "pass" : `miss: ${misses.join(", ")}`;
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined ? "—" : value.toFixed(digits);

const requestKey = (pair: SupportedPair) => `request ${pairName(pair)}`;
const streamKey = (pair: SupportedPair) => `stream ${pairName(pair)}`;
const reasoningKey = (pair: SupportedPair) => `reasoning request ${pairName(pair)}`;
const requestBaselineKey = (endpoint: ClientEndpoint) => `request baseline ${endpoint}`;
const streamBaselineKey = (input: StreamInput) => `stream baseline ${input.format}`;
const ratioKey = (key: string) => `${key} ÷ baseline`;

/** One provider stream per wire format. */
function prepareStreams(): Map<StreamInput, PreparedStream> {
  const streams = new Map<StreamInput, PreparedStream>();
  for (const input of new Set(Object.values(STREAM_INPUTS))) {
    streams.set(input, prepareStream(input));
  }
  // The Bedrock builder is checked against a real eventstream decoder, not only through its pair.
  const bedrockFrames = decodeEventTypes(streams.get(STREAM_INPUTS.AWSBedrock)!.stream.bytes);
  if (bedrockFrames[0] !== "messageStart" || bedrockFrames.at(-1) !== "metadata") {
    throw new Error(`the Bedrock stream builder wrote ${bedrockFrames.join(", ")}`);
  }
  return streams;
}

/**
 * Times every pair in interleaved rounds, each measurement right after its baseline so that a
 * ratio compares two runs under the same load. A pair that throws while timed is dropped from later
 * rounds and returned in `failed`.
 */
async function timeAll(
  measured: MeasuredPair[],
): Promise<{ timings: RoundMedians; failed: Map<string, string> }> {
  const timings = new RoundMedians();
  const failed = new Map<string, string>();
  for (let round = 0; round < ROUNDS; round++) {
    timings.startRound(round);
    for (const { pair, stream } of measured) {
      if (failed.has(pairName(pair))) continue;
      try {
        const body = REQUEST_BODIES[pair.endpoint];
        const text = JSON.stringify(body);
        const baselineNs = await timings.measure(
          requestBaselineKey(pair.endpoint),
          () => JSON.stringify(JSON.parse(text)),
          REQUEST_TIMING,
        );
        const requestNs = await timings.measure(
          requestKey(pair),
          () => translateOnce(pair, body),
          REQUEST_TIMING,
        );
        timings.record(ratioKey(requestKey(pair)), requestNs / baselineNs);
        if (!stream) continue;
        await timings.measure(
          reasoningKey(pair),
          () => translateOnce(pair, reasoningChatBody),
          REQUEST_TIMING,
        );
        const streamBaselineNs = await timings.measure(
          streamBaselineKey(stream.input),
          () => decodeAndSplitLines(stream.chunks),
          STREAM_BASELINE_TIMING,
        );
        const streamNs = await timings.measure(
          streamKey(pair),
          () => timedStream(pair, stream.chunks),
          STREAM_TIMING,
        );
        // Same bytes: the throughput ratio is the inverse of the time ratio.
        timings.record(ratioKey(streamKey(pair)), streamBaselineNs / streamNs);
      } catch (error) {
        failed.set(pairName(pair), `threw while timed: ${messageOf(error)}`);
      }
    }
  }
  return { timings, failed };
}

/** A measured pair's row: medians over the rounds, ratios the median of the per-round ratios. */
function rowOf({ pair, stream }: MeasuredPair, timings: RoundMedians): Row {
  const row: Row = {
    pair,
    requestUs: timings.median(requestKey(pair)) / 1000,
    requestRatio: timings.median(ratioKey(requestKey(pair))),
  };
  if (stream) {
    row.streamMBps = mbPerSecond(stream.stream.bytes.byteLength, timings.median(streamKey(pair)));
    row.streamRatio = timings.median(ratioKey(streamKey(pair)));
  }
  return row;
}

function printInputs(streams: Map<StreamInput, PreparedStream>, timings: RoundMedians): void {
  // A baseline is measured next to its pairs; an input no pair was measured on has none.
  const baseline = (key: string, format: (ns: number) => string) =>
    timings.has(key) ? format(timings.median(key)) : "not measured";
  const bodyRows = SUPPORTED_ENDPOINTS.map(endpoint => [
    `${endpoint} body`,
    String(Buffer.byteLength(JSON.stringify(REQUEST_BODIES[endpoint]))),
    "—",
    "—",
    baseline(
      requestBaselineKey(endpoint),
      ns => `${(ns / 1000).toFixed(2)} µs JSON.parse+stringify`,
    ),
  ]);
  const streamRows = [...streams.values()].map(({ input, stream, chunks }) => [
    `${input.format} stream`,
    String(stream.bytes.byteLength),
    String(stream.events),
    String(chunks.length),
    baseline(
      streamBaselineKey(input),
      ns => `${mbPerSecond(stream.bytes.byteLength, ns).toFixed(1)} MB/s TextDecoder+line split`,
    ),
  ]);
  console.log(
    markdownTable(
      [
        { header: "input" },
        { header: "bytes", align: "right" },
        { header: "events", align: "right" },
        { header: "network chunks", align: "right" },
        { header: "baseline", align: "right" },
      ],
      [...bodyRows, ...streamRows],
    ),
  );
}

function printResults(rows: Row[]): void {
  console.log(
    markdownTable(
      [
        { header: "pair" },
        { header: "request median µs", align: "right" },
        { header: "× baseline", align: "right" },
        { header: "stream MB/s", align: "right" },
        { header: "× baseline", align: "right" },
        { header: "targets" },
      ],
      rows.map(row => [
        pairName(row.pair),
        fixed(row.requestUs, 2),
        fixed(row.requestRatio, 2),
        fixed(row.streamMBps, 1),
        fixed(row.streamRatio, 2),
        verdict(row),
      ]),
    ),
  );
}

/**
 * The reasoning-heavy chat request (`reasoningChatBody`: reasoning on, every assistant turn replayed
 * with its reasoning blocks) per chat pair, against the same request target. The target is set on
 * `chatBody` and this body is larger (replayed reasoning is long), so it is judged per as many
 * bytes as `chatBody` has.
 */
function printReasoning(
  measured: MeasuredPair[],
  failed: Map<string, string>,
  timings: RoundMedians,
): void {
  const bytes = Buffer.byteLength(JSON.stringify(reasoningChatBody));
  const chatBytes = Buffer.byteLength(JSON.stringify(chatBody));
  console.log(
    `Reasoning-heavy chat request (${bytes} B, reasoning_effort and thinking_blocks), judged per ` +
      `${chatBytes} B, the size of the chat request the target is set on:\n`,
  );
  const rows = measured
    .filter(({ pair, stream }) => stream && !failed.has(pairName(pair)))
    .map(({ pair }) => {
      const us = timings.median(reasoningKey(pair)) / 1000;
      const perChatBody = (us * chatBytes) / bytes;
      return [
        pairName(pair),
        us.toFixed(1),
        perChatBody.toFixed(1),
        perChatBody <= REQUEST_TARGET_US ? "ok" : "MISS",
      ];
    });
  console.log(
    markdownTable(
      [
        { header: "pair" },
        { header: "request µs", align: "right" },
        { header: `µs per ${chatBytes} B`, align: "right" },
        { header: "target" },
      ],
      rows,
    ),
  );
}

async function main(): Promise<void> {
  const streams = prepareStreams();
  const rows = new Map<SupportedPair, Row>();

  // A pair whose translator cannot be created fails its checks and is reported with them.
  const measured: MeasuredPair[] = [];
  for (const pair of SUPPORTED_PAIRS) {
    const stream = pair.endpoint === CHAT ? streams.get(STREAM_INPUTS[pair.schema]) : undefined;
    const problem =
      checkPair({ pair, stream }) ?? (stream ? checkRequest(pair, reasoningChatBody) : undefined);
    if (problem) rows.set(pair, { pair, error: problem });
    else measured.push({ pair, stream });
  }

  const { timings, failed } = await timeAll(measured);
  for (const candidate of measured) {
    const error = failed.get(pairName(candidate.pair));
    rows.set(candidate.pair, error ? { pair: candidate.pair, error } : rowOf(candidate, timings));
  }
  const schemas = Object.keys(BACKENDS);
  const order = ({ endpoint, schema }: SupportedPair) =>
    SUPPORTED_ENDPOINTS.indexOf(endpoint) * schemas.length + schemas.indexOf(schema);
  const ordered = [...rows.values()].sort((a, b) => order(a.pair) - order(b.pair));

  console.log(
    `Node ${process.version} on ${cpus()[0]?.model ?? "an unknown CPU"}, one thread; median of ` +
      `${ROUNDS} interleaved rounds. Targets: request ≤ ${REQUEST_TARGET_US} µs median, stream ≥ ` +
      `${STREAM_TARGET_MBPS} MB/s (MB = 10^6 bytes).\n× baseline: request time ÷ baseline time ` +
      `(lower is better); stream throughput ÷ baseline throughput (higher is better).\n`,
  );
  printInputs(streams, timings);
  console.log();
  printResults(ordered);
  console.log();
  printReasoning(measured, failed, timings);

  if (ordered.some(row => row.error)) {
    console.error(
      "\nA pair threw or did not produce its success output; see the ERROR rows above.",
    );
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
