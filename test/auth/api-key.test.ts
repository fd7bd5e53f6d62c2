import { createBackendAuth } from "../../auth";

const clientHeaders = {
  "content-type": "application/json",
  authorization: "Bearer client-own-key",
  "api-key": "client-azure-key",
  "x-api-key": "client-anthropic-key",
  "x-goog-api-key": "client-gemini-key",
  "proxy-authorization": "Basic client-proxy",
  "x-amz-security-token": "client-token",
};
/** Client credential headers every handler removes besides the ones listed per type. */
const ALWAYS_REMOVED = ["x-goog-api-key", "proxy-authorization", "x-amz-security-token"];
const request = (headers: Record<string, string> = clientHeaders) => ({
  method: "POST",
  path: "/v1/chat/completions",
  headers,
  body: new Uint8Array(),
});

describe("API key handlers", () => {
  it.each([
    ["APIKey", { authorization: "Bearer sk-test" }, ["api-key", "x-api-key"]],
    ["AzureAPIKey", { "api-key": "sk-test" }, ["authorization", "x-api-key"]],
    [
      "AnthropicAPIKey",
      { "x-api-key": "sk-test", "anthropic-version": "2023-06-01" },
      ["authorization", "api-key"],
    ],
  ] as const)(
    "%s sets its header (overwrite) and removes every other client credential",
    async (type, set, remove) => {
      const auth = createBackendAuth({ type, apiKey: "  sk-test\n" });
      const result = await auth.authenticate(request());
      expect(result).toEqual({
        path: "/v1/chat/completions",
        headers: { set, remove: [...remove, ...ALWAYS_REMOVED] },
      });
      expect(auth.lastError()).toBeUndefined();
    },
  );

  it("keeps the client's anthropic-version when it sent one", async () => {
    const auth = createBackendAuth({ type: "AnthropicAPIKey", apiKey: "sk-ant" });
    const result = await auth.authenticate(request({ "anthropic-version": "2024-01-01" }));
    expect(result.headers.set).toEqual({ "x-api-key": "sk-ant" });
  });

  it("rejects a key that is only whitespace", () => {
    expect(() => createBackendAuth({ type: "APIKey", apiKey: " \n" })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });
});
