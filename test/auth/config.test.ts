import { createBackendAuth } from "../../auth";
import { AuthError } from "../../auth/errors";
import { parseBackendAuthConfig, redact, REDACTED } from "../../auth/config";
import { BackendAuthConfigSchema } from "../../contract/credentials";

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
        credentialsFile: { content: "{}" },
        endpoints: { stsTokenURL: "http://127.0.0.1:1/v1/token" },
      }).success,
    ).toBe(true);
  });

  // The CRD's `has(a) != has(b)` rules, per type: [type, base fields, source a, source b].
  const oidc = { oidc: { issuer: "https://issuer", clientID: "c", clientSecret: "s" } };
  const federation = {
    projectID: "1",
    workloadIdentityPoolName: "pool",
    workloadIdentityProviderName: "prov",
    oidcExchangeToken: oidc,
  };
  it("AWSCredentials takes at most one source: neither means the pod's own identity", () => {
    const parse = (extra: object) =>
      BackendAuthConfigSchema.safeParse({ type: "AWSCredentials", region: "us-east-1", ...extra });
    const file = { credentialsFile: { content: "[default]" } };
    const exchange = { oidcExchangeToken: { ...oidc, awsRoleArn: "arn:aws:iam::1:role/r" } };
    expect([parse({}), parse(file), parse(exchange)].map(result => result.success)).toEqual([
      true,
      true,
      true,
    ]);
    expect(parse({ ...file, ...exchange }).error?.issues.map(issue => issue.message)).toEqual([
      "set at most one of credentialsFile or oidcExchangeToken (both are set)",
    ]);
  });

  it("GCPCredentials takes at most one source: neither means Application Default Credentials", () => {
    const parse = (extra: object) =>
      BackendAuthConfigSchema.safeParse({
        type: "GCPCredentials",
        projectName: "p",
        region: "global",
        ...extra,
      });
    const file = { credentialsFile: { content: "{}" } };
    const wif = { workloadIdentityFederationConfig: federation };
    expect([parse({}), parse(file), parse(wif)].map(result => result.success)).toEqual([
      true,
      true,
      true,
    ]);
    expect(parse({ ...file, ...wif }).error?.issues.map(issue => issue.message)).toEqual([
      "set at most one of credentialsFile or workloadIdentityFederationConfig (both are set)",
    ]);
  });

  it("AzureCredentials with useManagedIdentity takes neither source, and clientID only if wanted", () => {
    const parse = (extra: object) =>
      BackendAuthConfigSchema.safeParse({ type: "AzureCredentials", tenantID: "t", ...extra });
    const messages = (extra: object) =>
      parse(extra).error?.issues.map(issue => `${issue.path.join(".")}: ${issue.message}`);
    expect(parse({ useManagedIdentity: true }).success).toBe(true);
    expect(parse({ useManagedIdentity: true, clientID: "user-assigned" }).success).toBe(true);
    expect(messages({ useManagedIdentity: true, clientSecret: "s" })).toEqual([
      ": with useManagedIdentity, set neither clientSecret nor oidcExchangeToken (clientSecret is set)",
    ]);
    expect(
      messages({ useManagedIdentity: true, clientSecret: "s", oidcExchangeToken: oidc }),
    ).toEqual([
      ": with useManagedIdentity, set neither clientSecret nor oidcExchangeToken (clientSecret and oidcExchangeToken are set)",
    ]);
    expect(messages({ clientSecret: "s" })).toEqual([
      "clientID: required unless useManagedIdentity is true",
    ]);
    expect(messages({ useManagedIdentity: false, clientID: "c" })).toEqual([
      ": set exactly one of clientSecret or oidcExchangeToken (neither is set)",
    ]);
  });

  it.each([
    [
      "AzureCredentials",
      { clientID: "c", tenantID: "t" },
      { clientSecret: "s" },
      { oidcExchangeToken: oidc },
    ],
  ])("%s needs exactly one credential source", (type, base, a, b) => {
    const [fieldA, fieldB] = [Object.keys(a)[0], Object.keys(b)[0]];
    const parse = (extra: object) => BackendAuthConfigSchema.safeParse({ type, ...base, ...extra });
    expect(parse(a).success).toBe(true);
    expect(parse(b).success).toBe(true);
    for (const [extra, which] of [
      [{}, "neither is"],
      [{ ...a, ...b }, "both are"],
    ] as const) {
      const result = parse(extra);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map(issue => issue.message)).toEqual([
        `set exactly one of ${fieldA} or ${fieldB} (${which} set)`,
      ]);
    }
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

describe("parseBackendAuthConfig and createBackendAuth validation", () => {
  const SECRET = "CANARY-config-secret-value";
  const cases: Array<[string, unknown, string]> = [
    [
      "Azure with both a client secret and an OIDC token",
      {
        type: "AzureCredentials",
        clientID: "c",
        tenantID: "t",
        clientSecret: SECRET,
        oidcExchangeToken: { oidc: { issuer: "https://i", clientID: "c", clientSecret: SECRET } },
      },
      "AzureCredentials: set exactly one of clientSecret or oidcExchangeToken (both are set)",
    ],
    [
      "Azure on the pod's identity with a client secret as well",
      {
        type: "AzureCredentials",
        tenantID: "t",
        useManagedIdentity: true,
        clientSecret: SECRET,
      },
      "AzureCredentials: with useManagedIdentity, set neither clientSecret nor oidcExchangeToken (clientSecret is set)",
    ],
    [
      "Azure with a client secret but no clientID",
      { type: "AzureCredentials", tenantID: "t", clientSecret: SECRET },
      "AzureCredentials: clientID: required unless useManagedIdentity is true",
    ],
    [
      "AWS with both sources (one would be silently ignored)",
      {
        type: "AWSCredentials",
        region: "us-east-1",
        credentialsFile: { content: SECRET },
        oidcExchangeToken: {
          oidc: { issuer: "https://i", clientID: "c", clientSecret: SECRET },
          awsRoleArn: "arn:aws:iam::1:role/r",
        },
      },
      "AWSCredentials: set at most one of credentialsFile or oidcExchangeToken (both are set)",
    ],
    [
      "GCP with both sources",
      {
        type: "GCPCredentials",
        projectName: "p",
        region: "r",
        credentialsFile: { content: SECRET },
        workloadIdentityFederationConfig: {
          projectID: "1",
          workloadIdentityPoolName: "pool",
          workloadIdentityProviderName: "prov",
          oidcExchangeToken: { oidc: { issuer: "https://i", clientID: "c", clientSecret: SECRET } },
        },
      },
      "GCPCredentials: set at most one of credentialsFile or workloadIdentityFederationConfig (both are set)",
    ],
    [
      "a secret of the wrong type, and a bad URL",
      {
        type: "AWSCredentials",
        region: "r",
        oidcExchangeToken: {
          oidc: { issuer: "https://i", clientID: "c", clientSecret: 42, scopes: ["a", 7] },
          awsRoleArn: "arn",
        },
        stsEndpoint: SECRET,
      },
      "AWSCredentials: oidcExchangeToken.oidc.clientSecret: Invalid input: expected string, received number; " +
        "oidcExchangeToken.oidc.scopes[1]: Invalid input: expected string, received number; " +
        "stsEndpoint: Invalid URL",
    ],
    [
      "an unknown field",
      { type: "APIKey", apiKey: SECRET, apikey: SECRET },
      'APIKey: unknown field "apikey"',
    ],
    [
      "an unknown field whose name looks like a pasted secret",
      { type: "APIKey", apiKey: "k", [SECRET]: true, apikey: 1 },
      'APIKey: unknown fields (name withheld), "apikey"',
    ],
    [
      "an unknown type",
      { type: SECRET, apiKey: SECRET },
      "backend auth config: type: must be one of APIKey, AzureAPIKey, AnthropicAPIKey, " +
        "AWSCredentials, AzureCredentials, GCPCredentials",
    ],
  ];

  it.each(cases)(
    "rejects %s with INVALID_CONFIG, naming the field and no value",
    (_name, config, message) => {
      const expected = new AuthError("INVALID_CONFIG", message);
      expect(() => parseBackendAuthConfig(config)).toThrow(expected);
      let thrown: unknown;
      try {
        createBackendAuth(config as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toEqual(expected);
      expect((thrown as AuthError).code).toBe("INVALID_CONFIG");
      const e = thrown as Error;
      expect([e.message, String(e.stack), JSON.stringify(e)].join("\n")).not.toContain(SECRET);
    },
  );

  it("returns the parsed config with defaults applied", () => {
    expect(
      parseBackendAuthConfig({
        type: "AWSCredentials",
        region: "r",
        credentialsFile: { content: "[default]" },
      }),
    ).toEqual({
      type: "AWSCredentials",
      region: "r",
      credentialsFile: { content: "[default]", profile: "default" },
    });
  });
});
