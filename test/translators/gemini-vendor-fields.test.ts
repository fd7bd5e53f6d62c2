import { createTranslator } from "../../translators";
import type { TranslationError } from "../../translators/errors";
import { createOpenAIToGCPVertexAI } from "../../translators/openai-gcpvertexai";
import type { BackendTarget } from "../../translators/types";
import { fixedDeps, jsonOf, requestRejection, translateChatRequest } from "./stream-split-harness";

const vertex: BackendTarget = { schema: { name: "GCPVertexAI" } };
const hi = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }] };

function rejection(fields: object): TranslationError {
  return requestRejection(createOpenAIToGCPVertexAI, vertex, { ...hi, ...fields });
}

describe("Gemini vendor fields (safetySettings, generationConfig)", () => {
  it.each([
    [{ safetySettings: "BLOCK_NONE" }, "safetySettings", "must be an array"],
    [
      { safetySettings: ["x"] },
      "safetySettings[0]",
      "must be an object {category, threshold, method?}",
    ],
    [
      { safetySettings: [{ threshold: "OFF" }] },
      "safetySettings[0].category",
      "must be a string naming a harm category",
    ],
    [
      { safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: 3 }] },
      "safetySettings[0].threshold",
      "must be a string naming a block threshold",
    ],
    [
      { safetySettings: [{ category: "C", threshold: "T", method: true }] },
      "safetySettings[0].method",
      "must be SEVERITY or PROBABILITY",
    ],
    [
      { generationConfig: [] },
      "generationConfig",
      "must be an object of Gemini generationConfig keys",
    ],
    [
      { generationConfig: { temperature: 0.2, responseModalities: ["IMAGE"] } },
      "generationConfig",
      'Gemini generationConfig keys taken here are thinkingConfig, mediaResolution (or media_resolution) and topK, not "temperature", "responseModalities"; set the others through their OpenAI fields.',
    ],
    [
      { generationConfig: { thinkingConfig: "HIGH" } },
      "generationConfig.thinkingConfig",
      "must be an object",
    ],
    [
      { generationConfig: { thinkingConfig: { level: "HIGH" } } },
      "generationConfig.thinkingConfig",
      'takes only includeThoughts, thinkingBudget and thinkingLevel, not "level"',
    ],
    [
      { generationConfig: { thinkingConfig: { thinkingBudget: 1.5 } } },
      "generationConfig.thinkingConfig.thinkingBudget",
      "must be an integer",
    ],
    [
      { generationConfig: { thinkingConfig: { includeThoughts: "yes" } } },
      "generationConfig.thinkingConfig.includeThoughts",
      "must be a boolean",
    ],
    [
      { generationConfig: { mediaResolution: 1 } },
      "generationConfig.mediaResolution",
      "must be a string such as MEDIA_RESOLUTION_LOW",
    ],
    [{ generationConfig: { topK: 0 } }, "generationConfig.topK", "must be positive"],
  ])("rejects %j with a 400 naming the field", (fields, param, detail) => {
    const error = rejection(fields);
    const message = `${param}: ${detail}`;
    expect(error).toMatchObject({ status: 400, param, message });
    expect(jsonOf(error.toBody())).toEqual({
      error: { message, type: "invalid_request_error", param, code: null },
    });
  });

  it("accepts null vendor fields as absent", () => {
    const { upstream } = translateChatRequest(createOpenAIToGCPVertexAI, vertex, {
      ...hi,
      safetySettings: null,
      generationConfig: null,
    });
    expect(jsonOf(upstream.body)).toEqual({
      contents: [{ role: "user", parts: [{ text: "Hi" }] }],
    });
  });

  const vendorFields = {
    safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "OFF" }],
    generationConfig: { mediaResolution: "MEDIA_RESOLUTION_LOW" },
  };

  it.each<[string, BackendTarget]>([
    ["OpenAI", { schema: { name: "OpenAI" } }],
    ["AzureOpenAI", { schema: { name: "AzureOpenAI", version: "2024-10-21" } }],
    ["AWSBedrock", { schema: { name: "AWSBedrock" } }],
    ["Anthropic", { schema: { name: "Anthropic" } }],
    ["GCPAnthropic", { schema: { name: "GCPAnthropic" } }],
  ])("%s neither sends them on nor checks them", (_name, backend) => {
    const upstreamFor = (body: object) =>
      createTranslator("/v1/chat/completions", backend, fixedDeps()).translateRequest({
        path: "/v1/chat/completions",
        headers: {},
        body,
      });
    const request = { ...hi, max_tokens: 16 };
    const withoutThem = upstreamFor(request);
    for (const fields of [vendorFields, { safetySettings: "x", generationConfig: 3 }]) {
      const upstream = upstreamFor({ ...request, ...fields });
      // The body first, for a readable diff; then all of it, byte for byte.
      expect(jsonOf(upstream.body)).toEqual(jsonOf(withoutThem.body));
      expect(upstream).toEqual(withoutThem);
    }
  });

  it("OpenAI passthrough leaves a body without vendor fields as the client sent it", () => {
    const body = { ...hi, temperature: 0.5 };
    const upstream = createTranslator(
      "/v1/chat/completions",
      { schema: { name: "OpenAI" } },
      fixedDeps(),
    ).translateRequest({ path: "/v1/chat/completions", headers: {}, body });
    expect(jsonOf(upstream.body)).toEqual(body);
  });
});
