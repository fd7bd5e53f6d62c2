/**
 * What Vertex AI's front end answers for both publishers (Gemini and Anthropic models): the OAuth
 * bearer check and Google's `{error:{code,message,status}}` errors.
 */
import { jsonReply } from "./conversation";
import type { FakeProviderRequest, ProviderReply, ResolvedOptions } from "./types";

/** Google's RPC status and a message Vertex AI uses, per HTTP status. */
const GOOGLE_ERRORS: Record<number, { status: string; message: string }> = {
  400: { status: "INVALID_ARGUMENT", message: "Request contains an invalid argument." },
  401: {
    status: "UNAUTHENTICATED",
    message:
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
  },
  403: { status: "PERMISSION_DENIED", message: "Permission denied on resource project." },
  404: { status: "NOT_FOUND", message: "Requested entity was not found." },
  429: {
    status: "RESOURCE_EXHAUSTED",
    message:
      "Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
  },
  500: { status: "INTERNAL", message: "Internal error encountered." },
  503: { status: "UNAVAILABLE", message: "The service is currently unavailable." },
  504: { status: "DEADLINE_EXCEEDED", message: "Deadline exceeded." },
};

export function googleError(
  status: number,
  details: { errorType?: string; message?: string } = {},
): ProviderReply {
  const known = GOOGLE_ERRORS[status] ?? GOOGLE_ERRORS[status >= 500 ? 500 : 400];
  return jsonReply(status, {
    error: {
      code: status,
      message: details.message ?? known.message,
      status: details.errorType ?? known.status,
    },
  });
}

/** A 401 unless `authorization: Bearer <the expected token>`. */
export function checkGoogleBearer(
  request: FakeProviderRequest,
  options: ResolvedOptions,
): ProviderReply | undefined {
  return request.headers.authorization === `Bearer ${options.bearerToken}`
    ? undefined
    : {
        ...googleError(401),
        headers: {
          "content-type": "application/json",
          "www-authenticate": 'Bearer realm="https://accounts.google.com/"',
        },
      };
}

/**
 * The Vertex AI path of a publisher model method:
 * `/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`
 * (`v1beta1` too); undefined for any other path.
 */
export function vertexModelPath(
  path: string,
  publisher: string,
): { project: string; location: string; model: string; method: string } | undefined {
  const match =
    /^\/v1(?:beta1)?\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/([^/]+)\/models\/([^/:]+):([A-Za-z]+)$/.exec(
      path,
    );
  if (!match || match[3] !== publisher) return undefined;
  const [, project, location, , model, method] = match;
  return { project, location, model: decodeURIComponent(model), method };
}
