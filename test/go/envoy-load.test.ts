/**
 * The benchmark's native ext_proc driver (bench/support/envoy-load), against the real server: it
 * sends Envoy's message sequence, each message after the answer to the one before, hands back every
 * answer of every measured request, and stops a request at an immediate response as Envoy does.
 * bench/extproc's latencies are only as good as this program.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_ROUTE, ROUTE_NAME, cycles } from "../../bench/support/extproc-cycles";
import type { SequenceResult } from "../../bench/support/envoy-driver";
import { nativeOpenLoop } from "../../bench/support/native-open-loop";
import { startExtProc, type RunningExtProc } from "../../extproc/main";
import { externalProcessorService, type ProcessingRequest } from "../../extproc/protocol";
import { extProcSettings } from "../../extproc/settings";
import { requestHeaders } from "../extproc/support/envoy-client";

describe("envoy-load, the native driver of bench/extproc", () => {
  const dir = mkdtempSync(join(tmpdir(), "envoy-load-"));
  const socket = join(dir, "extproc.sock");
  let running: RunningExtProc;

  beforeAll(async () => {
    const routes = mkdtempSync(join(dir, "routes-"));
    writeFileSync(join(routes, "route.json"), JSON.stringify(BENCH_ROUTE));
    running = await startExtProc(
      extProcSettings(
        ["--config-dir", routes, "--socket", socket, "--port", "0", "--metrics-port", "0"],
        {},
      ),
    );
  });

  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const encode = (messages: ProcessingRequest[]) =>
    messages.map(message => externalProcessorService().Process.requestSerialize(message));

  /** Every measured request the driver reports, at 100 requests/s for 300 ms after 100 ms. */
  async function drive(messages: ProcessingRequest[]): Promise<SequenceResult[]> {
    const results: SequenceResult[] = [];
    const { latenciesMs } = await nativeOpenLoop(
      `unix:${socket}`,
      encode(messages),
      result => results.push(result),
      { rate: 100, warmupMs: 100, measureMs: 300, dir },
    );
    expect(latenciesMs).toHaveLength(results.length);
    return results;
  }

  it("drives the whole Bedrock exchange and hands back answers the bench's check accepts", async () => {
    const bedrock = cycles()[0];
    const results = await drive(bedrock.messages);
    expect(results).toHaveLength(30);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.responses).toHaveLength(bedrock.messages.length);
      expect(bedrock.check(result.responses)).toBeUndefined();
      expect(result.lastAt).toBeGreaterThan(0);
    }
  });

  it("ends a request at an immediate response and sends nothing after it", async () => {
    const models = requestHeaders("/v1/models", {
      method: "GET",
      endOfStream: true,
      routeName: ROUTE_NAME,
    });
    // The second message would be a protocol error after an immediate response.
    const results = await drive([models, models]);
    expect(results).toHaveLength(30);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.responses).toHaveLength(1);
      expect(result.responses[0].immediate_response?.status?.code).toBe("OK");
    }
  });
});
