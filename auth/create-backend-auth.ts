/** The one place that turns a backend's resolved credentials into its authenticator. */
import { createAPIKeyAuth } from "./api-key";
import { createAWSAuth } from "./aws";
import { createAzureAuth } from "./azure";
import { createGCPAuth } from "./gcp";
import { componentLogger } from "../lib/logger";
import type { BackendAuthConfigInput } from "../contract/credentials";
import { parseBackendAuthConfig } from "./config";
import type { BackendAuth, BackendAuthOptions } from "./types";

/**
 * The authenticator for one backend. Validates `config` against `BackendAuthConfigSchema` first
 * (one credential source per type, as the CRD requires; AWS may name none: the pod's identity). Throws an `AuthError`
 * (`INVALID_CONFIG`, naming the field and never a value, or `CREDENTIALS_FILE_INVALID`) when the
 * configuration cannot work; never fetches a token itself: call `warm()` to fetch ahead of the
 * first request, and `close()` when the backend goes away.
 */
export function createBackendAuth(
  config: BackendAuthConfigInput,
  options: BackendAuthOptions = {},
): BackendAuth {
  const parsed = parseBackendAuthConfig(config);
  const withLogger = { ...options, logger: options.logger ?? componentLogger("auth") };
  switch (parsed.type) {
    case "APIKey":
    case "AzureAPIKey":
    case "AnthropicAPIKey":
      return createAPIKeyAuth(parsed);
    case "AWSCredentials":
      return createAWSAuth(parsed, withLogger);
    case "AzureCredentials":
      return createAzureAuth(parsed, withLogger);
    case "GCPCredentials":
      return createGCPAuth(parsed, withLogger);
  }
}
