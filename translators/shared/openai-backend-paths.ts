/**
 * Where a backend that speaks the OpenAI API serves an endpoint. OpenAI and OpenAI-compatible servers
 * take the schema version as a path prefix; Azure OpenAI serves each deployment under its own path,
 * named by the model, and takes the schema version as the `api-version` query parameter.
 */
import { TranslationError } from "../errors";
import type { BackendTarget } from "../types";

/**
 * `/{prefix}/{endpoint}` on an OpenAI backend: the prefix is `backend.schema.version` without
 * leading or trailing slashes (`openai/v1` for `/openai/v1/`), `v1` when the schema names none.
 */
export function openAIPath(backend: BackendTarget, endpoint: string): string {
  const prefix = (backend.schema.version ?? "v1").replace(/^\/+|\/+$/g, "");
  return `/${prefix}/${endpoint}`;
}

/**
 * `/openai/deployments/{model}/{endpoint}?api-version={version}` on Azure OpenAI, where the model
 * names the deployment and `backend.schema.version` is the api-version; both are URI-encoded.
 * @throws TranslationError (500) when the backend has no schema version: a backend misconfiguration
 *   the client cannot fix.
 */
export function azureOpenAIPath(backend: BackendTarget, model: string, endpoint: string): string {
  return `/openai/deployments/${encodeURIComponent(model)}/${endpoint}?api-version=${azureApiVersion(backend)}`;
}

function azureApiVersion(backend: BackendTarget): string {
  if (!backend.schema.version) {
    throw new TranslationError(
      500,
      "the AzureOpenAI backend has no schema.version (its api-version)",
      {
        type: "api_error",
      },
    );
  }
  return encodeURIComponent(backend.schema.version);
}
