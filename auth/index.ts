/**
 * Upstream authentication: turns a backend's resolved BackendSecurityPolicy into the headers (and,
 * for Vertex AI, the path and host) of a correctly authenticated provider request.
 */
import { createAPIKeyAuth } from "./api-key";
import { createAWSAuth } from "./aws";
import { createAzureAuth } from "./azure";
import { createGCPAuth } from "./gcp";
import { componentLogger } from "../lib/logger";
import type { BackendAuthConfig } from "./config";
import type { BackendAuth, BackendAuthOptions } from "./types";

export { BackendAuthConfigSchema, redact, REDACTED } from "./config";
export type { BackendAuthConfig } from "./config";
export { AuthError } from "./errors";
export type { AuthErrorCode } from "./errors";
export type { AuthRequest, AuthResult, BackendAuth, BackendAuthOptions } from "./types";
export { systemClock } from "./clock";
export type { Clock } from "./clock";

/**
 * The authenticator for one backend. Throws an `AuthError` (`INVALID_CONFIG` or
 * `CREDENTIALS_FILE_INVALID`) when the configuration cannot work; never fetches a token itself:
 * call `warm()` to fetch ahead of the first request, and `close()` when the backend goes away.
 */
export function createBackendAuth(
  config: BackendAuthConfig,
  options: BackendAuthOptions = {},
): BackendAuth {
  const withLogger = { ...options, logger: options.logger ?? componentLogger("auth") };
  switch (config.type) {
    case "APIKey":
    case "AzureAPIKey":
    case "AnthropicAPIKey":
      return createAPIKeyAuth(config);
    case "AWSCredentials":
      return createAWSAuth(config, withLogger);
    case "AzureCredentials":
      return createAzureAuth(config, withLogger);
    case "GCPCredentials":
      return createGCPAuth(config, withLogger);
  }
}
