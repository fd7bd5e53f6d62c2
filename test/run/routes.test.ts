/**
 * `ai-gateway run` with several routes, as Envoy would serve them in a cluster: a route's
 * `hostnames` decide which requests it takes (Gateway API's exact and wildcard matching), routes
 * are tried in file order for the model, and each rule's `timeouts` bound its requests.
 */
import { request as send } from "undici";
import {
  FAKE_API_KEY,
  replyText,
  startFakeProvider,
  type FakeProvider,
} from "../support/fake-providers";
import type { RunningGateway } from "../../run/main";
import { hostNameOf, servesHost } from "../../run/route-choice";
import { routeTable } from "../../run/route-table";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";
import { startGateway } from "./support/gateway";

describe("servesHost: Gateway API hostname matching", () => {
  it.each([
    [[], "anything.test", true],
    [["ai.example.com"], "ai.example.com", true],
    [["ai.example.com"], "AI.Example.com:1975", true],
    [["ai.example.com"], "ai.example.com.", true],
    [["ai.example.com"], "example.com", false],
    [["*.example.com"], "ai.example.com", true],
    [["*.example.com"], "a.b.example.com", true],
    [["*.example.com"], "example.com", false],
    [["*.example.com"], "badexample.com", false],
    [["::1"], "[::1]:1975", true],
    [["ai.example.com"], undefined, false],
  ] as const)("%j serves %j: %s", (hostnames, host, expected) => {
    expect(servesHost(hostnames, hostNameOf(host))).toBe(expected);
  });
});

describe("ai-gateway run: several routes", () => {
  let gateway: RunningGateway;
  let internal: FakeProvider;
  let wildcard: FakeProvider;
  let slow: FakeProvider;

  /** A chat request with the given `Host`, as a client on another name would send it. */
  async function chat(host: string, model: string) {
    const response = await send(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, {
      method: "POST",
      headers: { host, "content-type": "application/json", authorization: "Bearer client" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    const body = (await response.body.json()) as {
      choices?: Array<{ message: { content: string } }>;
      error?: { message: string; code: string };
    };
    return { status: response.statusCode, backend: response.headers["x-ai-eg-backend"], body };
  }

  async function modelsFor(host: string): Promise<string[]> {
    const response = await send(`http://127.0.0.1:${gateway.port}/v1/models`, {
      headers: { host },
    });
    const { data } = (await response.body.json()) as { data: Array<{ id: string }> };
    return data.map(model => model.id);
  }

  beforeAll(async () => {
    [internal, wildcard, slow] = await Promise.all([
      startFakeProvider("openai"),
      startFakeProvider("openai"),
      startFakeProvider("openai"),
    ]);
    const dir = manifestFolder({
      "all.yaml": [
        ...backendManifests("internal", internal, "KEY"),
        ...backendManifests("wildcard", wildcard, "KEY"),
        ...backendManifests("slow", slow, "KEY"),
        routeManifest("internal", [{ model: "shared", backends: [{ name: "internal" }] }], {
          hostnames: ["ai.internal.test"],
        }),
        routeManifest(
          "wildcard",
          [
            { model: "shared", backends: [{ name: "wildcard" }] },
            { model: "only-wildcard", backends: [{ name: "wildcard" }] },
          ],
          { hostnames: ["*.models.test"] },
        ),
        routeManifest("any-host", [
          { model: "everywhere", backends: [{ name: "internal" }] },
          { model: "slow", backends: [{ name: "slow" }], timeouts: { request: "300ms" } },
        ]),
      ],
    });
    gateway = await startGateway({ files: [dir] }, { env: { KEY: FAKE_API_KEY } });
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([internal, wildcard, slow].map(fake => fake?.close()));
  });

  it("sends a model two routes serve to the route of the request's host", async () => {
    const byName = await chat("ai.internal.test", "shared");
    expect(byName).toMatchObject({ status: 200, backend: "default/internal" });
    expect(byName.body.choices?.[0].message.content).toBe(replyText("openai", "hi"));
    expect(await chat("eu.models.test:1975", "shared")).toMatchObject({
      status: 200,
      backend: "default/wildcard",
    });
  });

  it("serves a route without hostnames on every host", async () => {
    for (const host of ["ai.internal.test", "eu.models.test", "localhost:1975"]) {
      expect(await chat(host, "everywhere")).toMatchObject({
        status: 200,
        backend: "default/internal",
      });
    }
  });

  it("does not serve a route's models on a host it does not name", async () => {
    const answer = await chat("models.test", "only-wildcard");
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({
      message: "the model `only-wildcard` does not exist or is not served by this gateway",
      code: "model_not_found",
    });
  });

  it("lists at /v1/models the models of the routes that serve the host", async () => {
    expect(await modelsFor("eu.models.test")).toEqual([
      "shared",
      "only-wildcard",
      "everywhere",
      "slow",
    ]);
    expect(await modelsFor("localhost")).toEqual(["everywhere", "slow"]);
  });

  it("answers 502 naming the backend when the rule's request timeout runs out", async () => {
    slow.setBehaviour("hang", { times: 1 });
    const answer = await chat("localhost", "slow");
    expect(answer.status).toBe(502);
    expect(answer.body.error).toEqual({
      message:
        "backend default/slow did not answer: no answer within the rule's request timeout (0.3 s)",
      type: "api_error",
      param: null,
      code: "upstream_unreachable",
    });
  });

  it("shows each route's hosts in its route table", () => {
    const rows = routeTable(gateway.config.routes)
      .split("\n")
      .map(row => row.split(/ {2,}/));
    const endpoint = (fake: FakeProvider) => `http://127.0.0.1:${fake.port}`;
    expect(rows).toEqual([
      ["HOST", "MODEL", "BACKEND", "SCHEMA", "ENDPOINT", "PRIORITY"],
      ["ai.internal.test", "shared", "default/internal", "OpenAI", endpoint(internal), "0"],
      ["*.models.test", "shared", "default/wildcard", "OpenAI", endpoint(wildcard), "0"],
      ["*.models.test", "only-wildcard", "default/wildcard", "OpenAI", endpoint(wildcard), "0"],
      ["*", "everywhere", "default/internal", "OpenAI", endpoint(internal), "0"],
      ["*", "slow", "default/slow", "OpenAI", endpoint(slow), "0"],
    ]);
  });
});

describe("ai-gateway run: no route for the host", () => {
  it("answers 404 naming the host and the hostnames served", async () => {
    const fake = await startFakeProvider("openai");
    const dir = manifestFolder({
      "all.yaml": [
        ...backendManifests("only", fake, "KEY"),
        routeManifest("named", [{ model: "m", backends: [{ name: "only" }] }], {
          hostnames: ["ai.example.com"],
        }),
      ],
    });
    const gateway = await startGateway({ files: [dir] }, { env: { KEY: FAKE_API_KEY } });
    try {
      const response = await send(`http://127.0.0.1:${gateway.port}/v1/models`);
      expect(response.statusCode).toBe(404);
      expect(await response.body.json()).toEqual({
        error: {
          message: `no AIGatewayRoute serves the host \`127.0.0.1:${gateway.port}\`; the routes' hostnames are: ai.example.com`,
          type: "invalid_request_error",
          param: null,
          code: "route_not_found",
        },
      });
    } finally {
      await gateway.stop();
      await fake.close();
    }
  });
});
