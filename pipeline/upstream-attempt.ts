/**
 * One attempt at one backend: the client's request translated for the backend's API, changed as the
 * route and backend ask (model override, header and body mutations), and authenticated last, on the
 * final body (SigV4 signs its hash). The same attempt serves both front doors: the ext_proc server
 * hands its header and body changes to Envoy; the gateway sends it itself for a fallback.
 */
import { MODEL_HEADER } from "../api/v1alpha1";
import type { BackendAuthRegistry } from "../auth/registry";
import { credentialMutation } from "../auth/types";
import { BackendConfig, SELECTED_BACKEND_HEADER } from "../contract/route-config";
import { errorMessage } from "../lib/error-message";
import type { HeaderMutation } from "../lib/header-mutation";
import { createTranslator } from "../translators";
import type { Translator, TranslatorDeps } from "../translators/types";
import { GatewayError } from "./answer";
import { applyBodyMutation } from "./body-mutation";
import { applyHeaderMutation, composeHeaderMutations } from "./header-mutation";

/** Where the gateway sends an attempt itself. */
export interface UpstreamOrigin {
  hostname: string;
  port: number;
  tls: boolean;
}

export interface UpstreamAttempt {
  backend: BackendConfig;
  translator: Translator;
  /** The upstream `:path`, query included. */
  path: string;
  /** Every change to the client's request headers, final: sets overwrite. */
  headers: HeaderMutation;
  body: Uint8Array;
  /** Known from the backend's Envoy Gateway Backend, or decided by its credentials (AWS, GCP). */
  origin?: UpstreamOrigin;
  requestedModel: string;
  upstreamModel: string;
  stream: boolean;
}

/** What every attempt of one request starts from. */
export interface ClientRequestContext {
  /** The client endpoint, e.g. `/v1/chat/completions`. */
  endpoint: string;
  /** The client's headers, lower-case names (pseudo-headers included when Envoy sends them). */
  headers: Record<string, string>;
  /** The client's parsed JSON body. */
  body: unknown;
}

export interface AttemptDeps {
  auth: BackendAuthRegistry;
  translatorDeps: TranslatorDeps;
}

/**
 * Translates and authenticates the request for `backend`.
 * @throws GatewayError 503 when the backend's credentials cannot be had (the request is never sent
 * without them); the translator's `TranslationError` when the request cannot be expressed for it.
 */
export async function prepareAttempt(
  backend: BackendConfig,
  request: ClientRequestContext,
  deps: AttemptDeps,
): Promise<UpstreamAttempt> {
  const translator = createTranslator(
    request.endpoint,
    { schema: backend.schema, modelNameOverride: backend.modelNameOverride },
    deps.translatorDeps,
  );
  const translated = translator.translateRequest({
    path: request.endpoint,
    headers: request.headers,
    body: request.body,
  });
  const body = backend.bodyMutation
    ? applyBodyMutation(translated.body, backend.bodyMutation)
    : translated.body;
  const routing: HeaderMutation = {
    set: {
      ":path": translated.path,
      "content-length": String(body.length),
      [MODEL_HEADER]: translated.requestedModel,
      [SELECTED_BACKEND_HEADER]: backend.id,
    },
    remove: [],
  };
  const beforeAuth = composeHeaderMutations(
    translated.headers,
    translated.stream ? PLAIN_STREAM : NO_MUTATION,
    configuredMutation(backend),
    routing,
  );
  const credentials = await authenticate(
    backend,
    {
      path: translated.path,
      headers: applyHeaderMutation(request.headers, beforeAuth),
      body,
    },
    deps.auth,
  );
  const headers = composeHeaderMutations(beforeAuth, credentials.headers, {
    set: { ":path": credentials.path },
    remove: [],
  });
  const origin =
    backend.endpoint ??
    (credentials.host ? { hostname: credentials.host, port: 443, tls: true } : undefined);
  return {
    backend,
    translator,
    path: credentials.path,
    headers,
    body,
    ...(origin ? { origin } : {}),
    requestedModel: translated.requestedModel,
    upstreamModel: translated.upstreamModel,
    stream: translated.stream,
  };
}

/**
 * A compressed stream cannot be translated until it is whole, so the client would get every token
 * at the end: a stream is asked for uncompressed, whatever the client accepts, and so reaches the
 * client uncompressed too (Envoy Gateway's compressor runs after ext_proc and sees no
 * accept-encoding). The backend's own header mutation may still ask for an encoding.
 */
const PLAIN_STREAM: HeaderMutation = { set: {}, remove: ["accept-encoding"] };
const NO_MUTATION: HeaderMutation = { set: {}, remove: [] };

/** The header changes the AIServiceBackend (and its route) ask for, with lower-case names. */
export function configuredMutation(backend: BackendConfig): HeaderMutation {
  return {
    set: Object.fromEntries(
      (backend.headerMutation?.set ?? []).map(header => [header.name.toLowerCase(), header.value]),
    ),
    remove: (backend.headerMutation?.remove ?? []).map(name => name.toLowerCase()),
  };
}

/**
 * The backend's credentials for the final request. A backend without a policy sends none, and the
 * client's own credential headers never reach it either way.
 * @throws GatewayError 503 when the credentials cannot be had.
 */
export async function authenticate(
  backend: BackendConfig,
  request: { path: string; headers: Record<string, string>; body: Uint8Array },
  registry: BackendAuthRegistry,
  method = "POST",
): Promise<{ path: string; headers: HeaderMutation; host?: string }> {
  if (!backend.auth) {
    return {
      path: request.path,
      headers: keepingConfigured(credentialMutation({}, request.headers), backend),
    };
  }
  const authenticator = registry.get(backend.id);
  if (!authenticator) {
    throw new GatewayError(
      503,
      `the credentials of backend ${backend.id} are not available: ${registry.lastError(backend.id) ?? "not loaded yet"}`,
      "backend_credentials_unavailable",
    );
  }
  try {
    const result = await authenticator.authenticate({
      method,
      ...(backend.endpoint ? { host: backend.endpoint.hostname } : {}),
      path: request.path,
      headers: request.headers,
      body: request.body,
    });
    return { ...result, headers: keepingConfigured(result.headers, backend) };
  } catch (error) {
    throw new GatewayError(
      503,
      `could not authenticate to backend ${backend.id}: ${errorMessage(error)}`,
      "backend_credentials_unavailable",
    );
  }
}

/**
 * The credentials remove every credential header they do not set: the client's must never reach a
 * backend. One the backend's own header mutation sets (a self-hosted server's static token) is the
 * operator's, and stays.
 */
function keepingConfigured(credentials: HeaderMutation, backend: BackendConfig): HeaderMutation {
  const configured = backend.headerMutation?.set;
  if (!configured?.length) return credentials;
  const names = new Set(configured.map(header => header.name.toLowerCase()));
  return { set: credentials.set, remove: credentials.remove.filter(name => !names.has(name)) };
}
