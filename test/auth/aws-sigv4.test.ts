import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import { createSigV4Signer, parseCredentialsFile, toSignable } from "../../auth/aws";
import { NodeSha256 } from "../../auth/node-sha256";
import { startFakeServer, FakeServer, ReceivedRequest } from "./support/fake-server";
import { ManualClock } from "./support/manual-clock";
import { verifySigV4 } from "./support/sigv4-verifier";

/** The example credentials of the public AWS SigV4 test suite. */
const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
  date: new Date("2015-08-30T12:36:00Z"),
  amzDate: "20150830T123600Z",
};

/** The session token of the suite's `post-sts-token` cases. */
const SUITE_SESSION_TOKEN =
  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf" +
  "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W" +
  "Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8F" +
  "DrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/** RFC 3986 unreserved characters, the key and value of `get-vanilla-query-unreserved`. */
const UNRESERVED = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A case of the AWS SigV4 test suite: the request and the signature the suite publishes. */
interface SuiteCase {
  name: string;
  method: string;
  /** The path as the suite's request line has it (on the wire, before SigV4's own encoding). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** Signed as x-amz-security-token (`post-sts-token/post-sts-header-before`). */
  sessionToken?: string;
  signedHeaders: string;
  signature: string;
}

const SUITE_CASES: SuiteCase[] = [
  {
    name: "get-vanilla",
    method: "GET",
    path: "/",
    query: {},
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "post-vanilla",
    method: "POST",
    path: "/",
    query: {},
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  },
  {
    name: "post-x-www-form-urlencoded",
    method: "POST",
    path: "/",
    query: {},
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "Param1=value1",
    signedHeaders: "content-type;host;x-amz-date",
    signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
  },
  {
    name: "get-vanilla-query-order-key-case",
    method: "GET",
    path: "/",
    query: { Param2: "value2", Param1: "value1" },
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  },
  {
    // The path is encoded by the signer: canonical URI /%E1%88%B4.
    name: "get-utf8",
    method: "GET",
    path: "/ሴ",
    query: {},
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
  },
  {
    // normalize-path/get-space: canonical URI /example%20space/.
    name: "get-space",
    method: "GET",
    path: "/example space/",
    query: {},
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
  },
  {
    name: "get-vanilla-query-unreserved",
    method: "GET",
    path: "/",
    query: { [UNRESERVED]: UNRESERVED },
    headers: {},
    body: "",
    signedHeaders: "host;x-amz-date",
    signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
  },
  {
    name: "post-sts-token/post-sts-header-before",
    method: "POST",
    path: "/",
    query: {},
    headers: {},
    body: "",
    sessionToken: SUITE_SESSION_TOKEN,
    signedHeaders: "host;x-amz-date;x-amz-security-token",
    signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
  },
];

const suiteCredentials = (c: SuiteCase) => ({
  accessKeyId: SUITE.accessKeyId,
  secretAccessKey: SUITE.secretAccessKey,
  ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
});

const suiteAuthorization = (c: SuiteCase) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ` +
  `SignedHeaders=${c.signedHeaders}, Signature=${c.signature}`;

describe.each([
  ["@aws-crypto/sha256-js", Sha256],
  ["node:crypto (the handler's)", NodeSha256],
])("SigV4 against the AWS test-suite vectors, hashing with %s", (_name, sha256) => {
  const signerFor = (c: SuiteCase) =>
    new SignatureV4({
      credentials: suiteCredentials(c),
      region: SUITE.region,
      service: SUITE.service,
      sha256,
      // The suite predates x-amz-content-sha256: its signatures do not cover it.
      applyChecksum: false,
    });

  it.each(SUITE_CASES)("the signer produces the published signature for $name", async c => {
    const signed = await signerFor(c).sign(
      new HttpRequest({
        method: c.method,
        protocol: "https:",
        hostname: "example.amazonaws.com",
        path: c.path,
        query: c.query,
        headers: { host: "example.amazonaws.com", ...c.headers },
        body: c.body,
      }),
      { signingDate: SUITE.date },
    );
    expect(signed.headers.authorization).toBe(suiteAuthorization(c));
  });

  it.each(SUITE_CASES)("the test verifier accepts the published signature for $name", c => {
    const query = new URLSearchParams(c.query).toString();
    const verification = verifySigV4(
      {
        method: c.method,
        url: query ? `${c.path}?${query}` : c.path,
        headers: {
          host: "example.amazonaws.com",
          "x-amz-date": SUITE.amzDate,
          ...(c.sessionToken ? { "x-amz-security-token": c.sessionToken } : {}),
          ...c.headers,
          authorization: suiteAuthorization(c),
        },
        body: Buffer.from(c.body),
      },
      () => SUITE.secretAccessKey,
    );
    expect(verification).toMatchObject({ ok: true });
  });
});

/**
 * The same vectors through the handler's own signing: its signer configuration
 * (`createSigV4Signer`: node:crypto, the path escaped once more) and its request shaping
 * (`toSignable`: the wire path kept, the query split into parameters). Only the service name and
 * the body-hash header differ from Bedrock signing, as the suite requires.
 */
describe("SigV4 test-suite vectors through the handler's signer configuration", () => {
  it.each(SUITE_CASES)("produces the published signature for $name", async c => {
    const signer = createSigV4Signer({
      credentials: suiteCredentials(c),
      region: SUITE.region,
      service: SUITE.service,
      applyChecksum: false,
    });
    const query = new URLSearchParams(c.query).toString();
    const signable = toSignable(
      {
        method: c.method,
        path: query ? `${c.path}?${query}` : c.path,
        headers: c.headers,
        body: new TextEncoder().encode(c.body),
      },
      "example.amazonaws.com",
    );
    const signed = await signer.sign(signable, { signingDate: SUITE.date });
    expect(signed.headers.authorization).toBe(suiteAuthorization(c));
    expect(signed.headers["x-amz-security-token"]).toBe(c.sessionToken);
  });
});

const ACCESS_KEY = "AKIATESTBEDROCK00001";
const SECRET_KEY = "bedrock/secret+key/for/tests/only/0000001";
const SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////session-token-for-tests";
const MODEL_PATH = "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";

function credentialsFile(withSession: boolean): string {
  return [
    "[default]",
    "aws_access_key_id = AKIAOTHERPROFILE0000",
    "aws_secret_access_key = other",
    "[bedrock]",
    `aws_access_key_id = ${ACCESS_KEY}`,
    `aws_secret_access_key = ${SECRET_KEY}`,
    ...(withSession ? [`aws_session_token = ${SESSION_TOKEN}`] : []),
    "",
  ].join("\n");
}

/** A fake Bedrock runtime: verifies each request's signature itself and answers with the verdict. */
describe("SigV4 for Bedrock, verified by a fake Bedrock server", () => {
  let bedrock: FakeServer;
  const verdicts: Array<ReturnType<typeof verifySigV4> & { request: ReceivedRequest }> = [];

  beforeAll(async () => {
    bedrock = await startFakeServer((request, response) => {
      const verification = verifySigV4(request, id => (id === ACCESS_KEY ? SECRET_KEY : undefined));
      verdicts.push({ ...verification, request });
      response.writeHead(verification.ok ? 200 : 403, { "content-type": "application/json" });
      response.end(
        JSON.stringify(verification.ok ? { output: {} } : { message: verification.reason }),
      );
    });
  });
  afterAll(() => bedrock.close());
  beforeEach(() => {
    verdicts.length = 0;
  });

  /** Sends what the handler produced to the fake, as Envoy would: host header = signed host. */
  async function send(withSession: boolean, path = MODEL_PATH) {
    const auth = createBackendAuth({
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: credentialsFile(withSession), profile: "bedrock" },
    });
    const body = new TextEncoder().encode(
      JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] }),
    );
    const clientHeaders = {
      "content-type": "application/json",
      authorization: "Bearer client-key",
      "x-amz-security-token": "client-supplied",
    };
    const result = await auth.authenticate({
      method: "POST",
      host: new URL(bedrock.url).host,
      path,
      headers: clientHeaders,
      body,
    });
    const headers: Record<string, string> = { ...clientHeaders };
    for (const name of result.headers.remove) delete headers[name];
    Object.assign(headers, result.headers.set);
    const response = await fetch(`${bedrock.url}${result.path}`, { method: "POST", headers, body });
    return { result, status: response.status };
  }

  it("signs the final path and body; the server's own verification double-encodes the model id", async () => {
    const { result, status } = await send(false);
    expect(status).toBe(200);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0].request.url).toBe(MODEL_PATH);
    expect(verdicts[0].canonicalRequest.split("\n")[1]).toBe(
      "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse",
    );
    expect(result.headers.set).toEqual(
      expect.objectContaining({
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKIATESTBEDROCK00001\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
        ),
        "x-amz-date": expect.stringMatching(/^\d{8}T\d{6}Z$/),
        "x-amz-content-sha256": expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    );
    // The client's token is removed, not forwarded next to our signature.
    expect(result.headers.remove).toEqual(
      expect.arrayContaining(["x-amz-security-token", "api-key", "x-api-key"]),
    );
  });

  it("sends and signs x-amz-security-token when the profile has a session token", async () => {
    const { result, status } = await send(true);
    expect(status).toBe(200);
    expect(result.headers.set["x-amz-security-token"]).toBe(SESSION_TOKEN);
    expect(result.headers.remove).not.toContain("x-amz-security-token");
    expect(verdicts[0].request.headers["x-amz-security-token"]).toBe(SESSION_TOKEN);
  });

  it("verifies a streaming path and an ARN model id with slashes", async () => {
    const arn = encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x");
    const { status } = await send(false, `/model/${arn}/converse-stream`);
    expect(status).toBe(200);
    expect(verdicts[0].canonicalRequest.split("\n")[1]).toContain("%253A");
    expect(verdicts[0].canonicalRequest.split("\n")[1]).toContain("%252F");
  });

  it("a tampered body fails at the signature, even with its hash header recomputed", async () => {
    const auth = createBackendAuth({
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: credentialsFile(false), profile: "bedrock" },
    });
    const result = await auth.authenticate({
      method: "POST",
      host: new URL(bedrock.url).host,
      path: MODEL_PATH,
      headers: { "content-type": "application/json" },
      body: new TextEncoder().encode("{}"),
    });
    const tampered = "{ }";
    // An attacker who changes the body also fixes the declared hash: only the signature, which
    // covers the original hash, can catch it.
    const response = await fetch(`${bedrock.url}${result.path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...result.headers.set,
        "x-amz-content-sha256": createHash("sha256").update(tampered).digest("hex"),
      },
      body: tampered,
    });
    expect(response.status).toBe(403);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0].reason).toBe("signature mismatch");
    // The untampered request passes the same server, so the 403 is the tampering's doing.
    const genuine = await fetch(`${bedrock.url}${result.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...result.headers.set },
      body: "{}",
    });
    expect(genuine.status).toBe(200);
  });
});

describe("AWS handler details", () => {
  it("signs for bedrock-runtime.<region>.amazonaws.com when the backend names no host, at the injected time", async () => {
    const clock = new ManualClock(Date.parse("2024-05-01T10:20:30Z"));
    const auth = createBackendAuth(
      {
        type: "AWSCredentials",
        region: "eu-west-3",
        credentialsFile: { content: credentialsFile(false), profile: "bedrock" },
      },
      { clock },
    );
    const result = await auth.authenticate({
      method: "POST",
      path: MODEL_PATH,
      headers: { "content-type": "application/json" },
      body: new Uint8Array(),
    });
    expect(result.host).toBe("bedrock-runtime.eu-west-3.amazonaws.com");
    expect(result.headers.set["x-amz-date"]).toBe("20240501T102030Z");
    expect(result.headers.set.authorization).toContain("/20240501/eu-west-3/bedrock/aws4_request");
  });

  it("without a file or OIDC, signs with the pod's own identity: here its environment variables", async () => {
    const saved = { ...process.env };
    // The first link of the AWS SDK's default chain.
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
    try {
      const auth = createBackendAuth({ type: "AWSCredentials", region: "us-east-1" });
      await auth.warm();
      expect(auth.ready()).toBe(true);
      const result = await auth.authenticate({
        method: "POST",
        path: "/model/m/converse",
        headers: { "content-type": "application/json" },
        body: new TextEncoder().encode("{}"),
      });
      expect(result.headers.set.authorization).toContain(`Credential=${ACCESS_KEY}/`);
      auth.close();
    } finally {
      process.env = saved;
    }
  });

  it("reads the named profile and reports a missing profile or key without the file content", () => {
    expect(parseCredentialsFile(credentialsFile(true), "bedrock")).toEqual({
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      sessionToken: SESSION_TOKEN,
    });
    expect(parseCredentialsFile(credentialsFile(false)).accessKeyId).toBe("AKIAOTHERPROFILE0000");
    const missingProfile = () => parseCredentialsFile(credentialsFile(false), "prod");
    expect(missingProfile).toThrow(
      new AuthError("CREDENTIALS_FILE_INVALID", 'AWS credentials file has no profile "prod"'),
    );
    const missingSecret = () =>
      parseCredentialsFile(`[default]\naws_access_key_id = ${ACCESS_KEY}\n`);
    expect(missingSecret).toThrow(/has no aws_secret_access_key/);
    try {
      missingSecret();
    } catch (error) {
      expect((error as AuthError).code).toBe("CREDENTIALS_FILE_INVALID");
      expect(String((error as Error).stack)).not.toContain(ACCESS_KEY);
    }
  });
});
