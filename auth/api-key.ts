/** Static API keys: OpenAI-style bearer, Azure OpenAI `api-key`, Anthropic `x-api-key`. */
import type { BackendAuthConfig } from "../contract/credentials";
import { AuthError } from "./errors";
import { AuthRequest, AuthResult, BackendAuth, credentialMutation } from "./types";

type APIKeyConfig = Extract<
  BackendAuthConfig,
  { type: "APIKey" | "AzureAPIKey" | "AnthropicAPIKey" }
>;

/** The Anthropic API version sent when the client did not choose one. */
export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

/** An authenticator that adds a static key in the header its provider expects. */
export function createAPIKeyAuth(config: APIKeyConfig): BackendAuth {
  // Keys pasted into Secrets often carry a trailing newline; providers reject it.
  const key = config.apiKey.trim();
  if (key === "") throw new AuthError("INVALID_CONFIG", `${config.type}: apiKey is empty`);
  const headersFor = (request: AuthRequest): Record<string, string> => {
    switch (config.type) {
      case "APIKey":
        return { authorization: `Bearer ${key}` };
      case "AzureAPIKey":
        return { "api-key": key };
      case "AnthropicAPIKey":
        return request.headers["anthropic-version"]
          ? { "x-api-key": key }
          : { "x-api-key": key, "anthropic-version": DEFAULT_ANTHROPIC_VERSION };
    }
  };
  return {
    authenticate: (request: AuthRequest): Promise<AuthResult> =>
      Promise.resolve({
        path: request.path,
        headers: credentialMutation(headersFor(request), request.headers),
      }),
    warm: () => Promise.resolve(),
    ready: () => true,
    lastError: () => undefined,
    close: () => {},
  };
}
