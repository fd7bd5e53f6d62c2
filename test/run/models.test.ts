/**
 * `GET /v1/models` in `ai-gateway run` for rules that match model names by pattern: the gateway
 * lists the models the rule's backends report that the pattern takes (OpenAI's and Anthropic's
 * model lists, asked with the backend's credentials), after the models rules name exactly, and
 * leaves out a backend that cannot answer.
 */
import { freePort } from "../support/free-port";
import OpenAI from "openai";
import { FAKE_API_KEY, startFakeProvider, type FakeProvider } from "../support/fake-providers";
import type { RunningGateway } from "../../run/main";
import { captureLogs } from "../auth/support/log-capture";
import { backendManifests, manifestFolder, routeManifest } from "./support/manifests";
import { clientOf, startGateway } from "./support/gateway";

describe("ai-gateway run: /v1/models for rules that match by pattern", () => {
  let gateway: RunningGateway;
  let openai: FakeProvider;
  let anthropic: FakeProvider;
  let client: OpenAI;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    logs = captureLogs();
    [openai, anthropic] = await Promise.all([
      startFakeProvider("openai", {
        listedModels: ["gpt-4o", "dall-e-3", "o3-mini", "special", "text-embedding-3-small"],
      }),
      startFakeProvider("anthropic", { listedModels: ["claude-sonnet-4-5", "claude-haiku-4-5"] }),
    ]);
    const nowhere = { ...openai, port: await freePort() };
    const dir = manifestFolder({
      "all.yaml": [
        ...backendManifests("openai", openai, "KEY"),
        ...backendManifests("anthropic", anthropic, "KEY"),
        ...backendManifests("nowhere", nowhere, "KEY"),
        routeManifest("route", [
          { model: "special", backends: [{ name: "openai" }] },
          {
            model: "gpt-.*|o[0-9].*",
            pattern: true,
            owner: "OpenAI",
            backends: [{ name: "openai" }],
          },
          {
            model: "claude-.*",
            pattern: true,
            owner: "Anthropic",
            backends: [{ name: "anthropic" }],
          },
          { model: "local-.*", pattern: true, backends: [{ name: "nowhere" }] },
          {
            model: "pinned-.*",
            pattern: true,
            backends: [{ name: "openai", modelNameOverride: "gpt-4o" }],
          },
        ]),
      ],
    });
    gateway = await startGateway({ files: [dir] }, { env: { KEY: FAKE_API_KEY } });
    client = clientOf(gateway);
  });

  afterAll(async () => {
    logs?.stop();
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close()]);
  });

  it("lists the models rules name, then those the pattern rules' backends report", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map(model => [model.id, model.owned_by])).toEqual([
      ["special", "E2E"],
      ["gpt-4o", "OpenAI"],
      ["o3-mini", "OpenAI"],
      ["claude-sonnet-4-5", "Anthropic"],
      ["claude-haiku-4-5", "Anthropic"],
    ]);
    const warned = logs.lines.filter(line => line.includes("did not list its models"));
    expect(warned.map(line => JSON.parse(line).message)).toEqual([
      expect.stringMatching(/^backend default\/nowhere did not list its models: .*ECONNREFUSED/),
    ]);
  });

  it("asks with the backends' credentials, and keeps their lists for a while", async () => {
    const listings = () =>
      [...openai.requests, ...anthropic.requests].filter(r => r.method === "GET");
    const before = listings().length;
    await client.models.list();
    expect(listings().length).toBe(before);
    expect(openai.requests.find(r => r.method === "GET")).toMatchObject({
      url: "/v1/models",
      headers: { authorization: `Bearer ${FAKE_API_KEY}` },
    });
    expect(anthropic.requests.find(r => r.method === "GET")).toMatchObject({
      url: "/v1/models?limit=1000",
      headers: { "x-api-key": FAKE_API_KEY, "anthropic-version": "2023-06-01" },
    });
  });
});
