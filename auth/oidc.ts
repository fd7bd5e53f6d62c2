/**
 * The OIDC client-credentials token that AWS, Azure and GCP federation exchange for their own
 * credentials.
 */
import type { BackendAuthConfig } from "../contract/credentials";
import { endpointName, expiresInMs, getJSON, postForm, requireString } from "./http";
import type { FetchedToken } from "./token-cache";

type AzureConfig = Extract<BackendAuthConfig, { type: "AzureCredentials" }>;
/** The `oidcExchangeToken` block shared by the AWS, Azure and GCP credential types. */
export type OIDCExchange = NonNullable<AzureConfig["oidcExchangeToken"]>;

/** The token endpoint: configured, or read from the issuer's discovery document. */
export async function resolveTokenEndpoint(oidc: OIDCExchange["oidc"]): Promise<string> {
  if (oidc.tokenEndpoint) return oidc.tokenEndpoint;
  const discoveryURL = `${oidc.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const document = await getJSON(discoveryURL);
  return requireString(document, "token_endpoint", discoveryURL);
}

/**
 * Fetches an OIDC token with the client-credentials grant. Returns the `id_token` when the provider
 * issues one (what STS and Google expect as a web identity), else the `access_token`.
 */
export async function fetchOIDCToken(exchange: OIDCExchange): Promise<FetchedToken<string>> {
  const { oidc } = exchange;
  const endpoint = await resolveTokenEndpoint(oidc);
  const form: Record<string, string> = {
    grant_type: exchange.grantType ?? "client_credentials",
    client_id: oidc.clientID,
    client_secret: oidc.clientSecret,
  };
  if (oidc.scopes?.length) form.scope = oidc.scopes.join(" ");
  if (exchange.aud) form.audience = exchange.aud;
  const answer = await postForm(endpoint, form);
  const token =
    typeof answer.id_token === "string" && answer.id_token !== ""
      ? answer.id_token
      : requireString(answer, "access_token", endpointName(endpoint));
  return { value: token, expiresInMs: expiresInMs(answer, 5 * 60_000) };
}
