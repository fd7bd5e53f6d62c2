/**
 * What upstream authentication costs per request: SigV4 signing of a 4 KB Bedrock request and a
 * warm cached-token lookup (Azure/GCP path), each against a sha256 of the same 4 KB body measured
 * in the same run, so the ratio is comparable across machines.
 *
 *   npm run bench:auth
 */
import { createHash } from "node:crypto";
import { createBackendAuth } from "../auth";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { TokenCache } from "../auth/token-cache";
import { measureNsPerCall } from "./support/measure";
import { markdownTable } from "./support/table";

const converseBody = (textLength: number): string =>
  JSON.stringify({ messages: [{ role: "user", content: [{ text: "x".repeat(textLength) }] }] });
/** A 4096-byte Converse body. */
const BODY = new TextEncoder().encode(converseBody(4096 - converseBody(0).length));

async function main(): Promise<void> {
  const aws = createBackendAuth({
    type: "AWSCredentials",
    region: "us-east-1",
    credentialsFile: {
      content: "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = bench-secret\n",
      profile: "default",
    },
  });
  const request = {
    method: "POST",
    path: "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
    headers: { "content-type": "application/json" },
    body: BODY,
  };
  const tokens = new TokenCache(async () => ({ value: "token", expiresInMs: 3_600_000 }), {
    name: "bench token",
  });
  await tokens.warm();
  const bearer = createBackendAuth({ type: "APIKey", apiKey: "bench-key" });
  // The same signing with the pure-JS hash the signer is usually paired with, for comparison.
  const jsSigner = new SignatureV4({
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "bench-secret" },
    region: "us-east-1",
    service: "bedrock",
    sha256: Sha256,
  });
  const jsSign = () =>
    jsSigner.sign(
      new HttpRequest({
        method: "POST",
        protocol: "https:",
        hostname: "bedrock-runtime.us-east-1.amazonaws.com",
        path: request.path,
        headers: { host: "bedrock-runtime.us-east-1.amazonaws.com", ...request.headers },
        body: BODY,
      }),
    );

  const medianNs = async (fn: () => unknown) => (await measureNsPerCall(fn)).medianNs;
  const baseline = await medianNs(() => createHash("sha256").update(BODY).digest("hex"));
  const rows: Array<[string, number]> = [
    ["sha256 of 4 KB body (baseline)", baseline],
    [
      "SigV4 sign 4 KB Bedrock request (handler, node:crypto)",
      await medianNs(() => aws.authenticate(request)),
    ],
    ["SigV4 sign 4 KB, signer with @aws-crypto/sha256-js", await medianNs(jsSign)],
    ["cached token lookup (TokenCache.get)", await medianNs(() => tokens.get())],
    ["API key header mutation", await medianNs(() => bearer.authenticate(request))],
  ];
  tokens.close();

  console.log(
    `Node ${process.version}, body ${BODY.byteLength} bytes, median of time-bounded samples ` +
      `(0.1 s warm-up, 0.4 s per operation)\n`,
  );
  console.log(
    markdownTable(
      [
        { header: "operation" },
        { header: "median µs", align: "right" },
        { header: "× baseline", align: "right" },
      ],
      rows.map(([name, ns]) => [name, (ns / 1000).toFixed(2), (ns / baseline).toFixed(2)]),
    ),
  );
}

void main();
