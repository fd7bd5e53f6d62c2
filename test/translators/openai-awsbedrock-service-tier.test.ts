import { createOpenAIToAWSBedrock } from "../../translators/openai-awsbedrock";
import type { BackendTarget } from "../../translators/types";
import type { ConverseBody } from "./fixtures/openai-awsbedrock";
import {
  expectInvalidRequest,
  jsonOf,
  requestRejection,
  translateChatRequest,
} from "./stream-split-harness";

const backend: BackendTarget = { schema: { name: "AWSBedrock" } };
const hi = { model: "anthropic.claude-sonnet-4", messages: [{ role: "user", content: "Hi" }] };
const converseBodyFor = (fields: object) =>
  jsonOf(
    translateChatRequest(createOpenAIToAWSBedrock, backend, { ...hi, ...fields }).upstream.body,
  );

describe("OpenAI → AWS Bedrock Converse: service_tier", () => {
  it.each(["default", "flex", "priority", "reserved"] as const)(
    "%s → serviceTier.type of the same name",
    tier => {
      const expected: ConverseBody = {
        messages: [{ role: "user", content: [{ text: "Hi" }] }],
        serviceTier: { type: tier },
      };
      expect(converseBodyFor({ service_tier: tier })).toEqual(expected);
    },
  );

  it.each([["auto"], [null]])("%s sends no serviceTier", tier => {
    const expected: ConverseBody = { messages: [{ role: "user", content: [{ text: "Hi" }] }] };
    expect(converseBodyFor({ service_tier: tier })).toEqual(expected);
  });

  it.each(["scale", "fast"])("rejects %s with a 400 naming service_tier", tier => {
    expectInvalidRequest(
      requestRejection(createOpenAIToAWSBedrock, backend, { ...hi, service_tier: tier }),
      {
        message: `service_tier: "${tier}" has no Bedrock Converse tier; use auto, default, flex, priority or reserved.`,
        param: "service_tier",
      },
    );
  });
});
