import { BackendAuthConfigSchema, redact, REDACTED } from "../../auth/config";

describe("BackendAuthConfigSchema", () => {
  it("parses every type and defaults the AWS profile", () => {
    const aws = BackendAuthConfigSchema.parse({
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: "[default]" },
    });
    expect(aws).toEqual({
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: "[default]", profile: "default" },
    });
    for (const type of ["APIKey", "AzureAPIKey", "AnthropicAPIKey"]) {
      expect(BackendAuthConfigSchema.safeParse({ type, apiKey: "k" }).success).toBe(true);
    }
    expect(
      BackendAuthConfigSchema.safeParse({
        type: "GCPCredentials",
        projectName: "p",
        region: "global",
        endpoints: { stsTokenURL: "http://127.0.0.1:1/v1/token" },
      }).success,
    ).toBe(true);
  });

  it("needs exactly one of clientSecret and oidcExchangeToken for Azure", () => {
    const base = { type: "AzureCredentials", clientID: "c", tenantID: "t" };
    const oidc = { oidc: { issuer: "https://issuer", clientID: "c", clientSecret: "s" } };
    expect(BackendAuthConfigSchema.safeParse(base).success).toBe(false);
    expect(
      BackendAuthConfigSchema.safeParse({ ...base, clientSecret: "s", oidcExchangeToken: oidc })
        .success,
    ).toBe(false);
    expect(BackendAuthConfigSchema.safeParse({ ...base, oidcExchangeToken: oidc }).success).toBe(
      true,
    );
  });

  it("rejects unknown fields and empty secrets", () => {
    expect(BackendAuthConfigSchema.safeParse({ type: "APIKey", apiKey: "k", x: 1 }).success).toBe(
      false,
    );
    expect(BackendAuthConfigSchema.safeParse({ type: "APIKey", apiKey: "" }).success).toBe(false);
  });
});

describe("redact", () => {
  it("masks exactly the fields the schema marks secret, in every type", () => {
    const oidc = {
      oidc: { issuer: "https://issuer", clientID: "client", clientSecret: "s3cret" },
    };
    expect(redact({ type: "APIKey", apiKey: "sk" })).toEqual({ type: "APIKey", apiKey: REDACTED });
    expect(
      redact({
        type: "AWSCredentials",
        region: "us-east-1",
        credentialsFile: { content: "[default]", profile: "p" },
        oidcExchangeToken: { ...oidc, awsRoleArn: "arn" },
      }),
    ).toEqual({
      type: "AWSCredentials",
      region: "us-east-1",
      credentialsFile: { content: REDACTED, profile: "p" },
      oidcExchangeToken: {
        oidc: { issuer: "https://issuer", clientID: "client", clientSecret: REDACTED },
        awsRoleArn: "arn",
      },
    });
    expect(
      redact({ type: "AzureCredentials", clientID: "c", tenantID: "t", clientSecret: "s" }),
    ).toMatchObject({ clientID: "c", clientSecret: REDACTED });
    const gcp = redact({
      type: "GCPCredentials",
      projectName: "p",
      region: "r",
      credentialsFile: { content: "{}" },
      workloadIdentityFederationConfig: {
        projectID: "1",
        workloadIdentityPoolName: "pool",
        workloadIdentityProviderName: "prov",
        oidcExchangeToken: oidc,
      },
    });
    expect(JSON.stringify(gcp)).not.toMatch(/s3cret|"\{\}"/);
    expect(gcp).toMatchObject({ projectName: "p", credentialsFile: { content: REDACTED } });
  });

  it("still masks secrets of a config that does not parse", () => {
    const invalid = { type: "AzureCredentials", clientID: "c", tenantID: "t", clientSecret: "s" };
    const both = { ...invalid, oidcExchangeToken: { oidc: { clientSecret: "z" } } };
    expect(JSON.stringify(redact(both as never))).not.toMatch(/"s"|"z"/);
  });
});
