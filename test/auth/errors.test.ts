import { AuthError, describeFailure } from "../../auth/errors";

describe("describeFailure", () => {
  it("keeps status and short codes and drops free text", () => {
    const sdk = Object.assign(new Error("token sk-secret was rejected"), {
      name: "InvalidIdentityTokenException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(describeFailure(sdk)).toBe("HTTP 400 InvalidIdentityTokenException");
    const network = Object.assign(new TypeError("fetch failed"), {
      cause: { code: "ECONNREFUSED" },
    });
    expect(describeFailure(network)).toBe("ECONNREFUSED");
    const wrapped = Object.assign(new Error("invalid_client: AADSTS7000215: secret abc rejected"), {
      name: "AuthenticationRequiredError",
    });
    expect(describeFailure(wrapped)).toBe("AuthenticationRequiredError invalid_client");
    expect(describeFailure({ code: "has spaces and a secret" })).toBe("unknown error");
    expect(describeFailure(new AuthError("TOKEN_ENDPOINT_FAILED", "x: HTTP 401"))).toBe(
      "x: HTTP 401",
    );
  });
});
