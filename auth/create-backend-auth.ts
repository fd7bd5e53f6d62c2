/** The one place that turns a backend's resolved credentials into its authenticator. */
import { createAPIKeyAuth } from "./api-key";
import { componentLogger } from "../lib/logger";
import type { BackendAuthConfigInput } from "../contract/credentials";
import { parseBackendAuthConfig } from "./config";
import type { BackendAuth, BackendAuthOptions } from "./types";

// The cloud authenticators are loaded when a backend first needs one: their SDKs hold some 20 MB of
// memory each (@azure/identity 22 MB, google-auth-library 13 MB, the AWS STS client 16 MB), and a
// data plane should carry only those its routes use. require, not import(): see extproc/main.ts.
/* eslint-disable @typescript-eslint/no-require-imports */
const aws = () => require("./aws") as typeof import("./aws");
const azure = () => require("./azure") as typeof import("./azure");
const gcp = () => require("./gcp") as typeof import("./gcp");
/* eslint-enable @typescript-eslint/no-require-imports */

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
      return aws().createAWSAuth(parsed, withLogger);
    case "AzureCredentials":
      return azure().createAzureAuth(parsed, withLogger);
    case "GCPCredentials":
      return gcp().createGCPAuth(parsed, withLogger);
  }
}
