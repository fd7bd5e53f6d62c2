/**
 * A Google OAuth token endpoint for service-account keys on loopback: it checks the JWT-bearer grant
 * (the assertion's RS256 signature against the key it issued) and answers with a fixed access token,
 * the one the Vertex AI fakes expect.
 */
import { createVerify, generateKeyPairSync } from "node:crypto";
import { formOf, sendJSON, startFakeServer, type FakeServer } from "../../auth/support/fake-server";

export interface GoogleTokenServer {
  server: FakeServer;
  /** The token endpoint, for `endpoints.oauthTokenURL` and the key's `token_uri`. */
  tokenURL: string;
  /** A service-account key file (JSON) whose private key this endpoint accepts. */
  serviceAccountJSON: string;
  /** Grants received; `ok` tells whether the assertion checked out. */
  grants: Array<{ ok: boolean }>;
  close(): Promise<void>;
}

const CLIENT_EMAIL = "gateway@e2e-project.iam.gserviceaccount.com";

export async function startGoogleTokenServer(options: {
  accessToken: string;
  /** A value placed in the key file, so tests can check it never leaks. */
  privateKeyId?: string;
}): Promise<GoogleTokenServer> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPEM = publicKey.export({ type: "spki", format: "pem" }).toString();
  const grants: Array<{ ok: boolean }> = [];
  let tokenURL = "";
  const server = await startFakeServer((request, response) => {
    const form = formOf(request);
    const [header, claims, signature] = (form.assertion ?? "").split(".");
    const verified =
      header !== undefined &&
      claims !== undefined &&
      signature !== undefined &&
      createVerify("RSA-SHA256")
        .update(`${header}.${claims}`)
        .verify(publicPEM, Buffer.from(signature, "base64url"));
    const decoded = verified
      ? (JSON.parse(Buffer.from(claims, "base64url").toString()) as Record<string, unknown>)
      : {};
    const ok =
      request.url === "/token" &&
      form.grant_type === "urn:ietf:params:oauth:grant-type:jwt-bearer" &&
      verified &&
      decoded.iss === CLIENT_EMAIL &&
      decoded.aud === tokenURL;
    grants.push({ ok });
    if (!ok) return sendJSON(response, 400, { error: "invalid_grant" });
    sendJSON(response, 200, {
      access_token: options.accessToken,
      expires_in: 3599,
      token_type: "Bearer",
    });
  });
  tokenURL = `${server.url}/token`;
  const serviceAccountJSON = JSON.stringify({
    type: "service_account",
    project_id: "e2e-project",
    private_key_id: options.privateKeyId ?? "e2e-key-id",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: CLIENT_EMAIL,
    token_uri: tokenURL,
  });
  return { server, tokenURL, serviceAccountJSON, grants, close: () => server.close() };
}
