import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyYaml, jsonpath, kubectl, kubectlOk, testNamespace, waitFor } from "./support/kubectl";

const WEBHOOK = 'admission webhook "pepr-ai-gateway.pepr.dev" denied the request';

const route = (headerValue: string, type = "Exact") => `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: my-gateway}]
  rules:
  - matches: [{headers: [{type: ${type}, name: x-ai-eg-model, value: "${headerValue}"}]}]
    backendRefs: [{name: missing-backend}]
`;

describe("admission, through kubectl", () => {
  const namespace = testNamespace("admission");
  afterAll(() => namespace.cleanup());

  it("denies an invalid regular expression with the validator's message", () => {
    const result = applyYaml(route("gpt-(4", "RegularExpression"), namespace.name);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${WEBHOOK}: spec.rules[0].matches[0].headers[0].value: "gpt-(4" is not a valid RE2 regular expression: missing closing ): \`gpt-(4\``,
    );
  });

  it("denies a lookahead, which JavaScript accepts but RE2 (Envoy) does not, naming the RE2 rule", () => {
    const result = applyYaml(route("gpt-4o(?!-mini)", "RegularExpression"), namespace.name);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${WEBHOOK}: spec.rules[0].matches[0].headers[0].value: "gpt-4o(?!-mini)" is not a valid RE2 regular expression: lookahead \`(?!\` is not supported by RE2 (Envoy's regex engine); the pattern must match the whole value, so list the values to match instead, e.g. a|b`,
    );
  });

  it("accepts RE2 syntax that JavaScript's engine refuses (an inline flag)", () => {
    const result = applyYaml(route("(?i)gpt-4o", "RegularExpression"), namespace.name);
    expect(result.code).toBe(0);
  });

  it("denies a policy that reads a Secret in another namespace", () => {
    const result = applyYaml(
      `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: p}
spec:
  type: APIKey
  apiKey: {secretRef: {name: s, namespace: kube-system}}
`,
      namespace.name,
    );
    expect(result.stderr).toContain(
      `${WEBHOOK}: spec.apiKey.secretRef.namespace: Secret namespace "kube-system" is not allowed: a BackendSecurityPolicy can only use Secrets in its own namespace "${namespace.name}"`,
    );
  });

  it("lets the CRD schema reject a Service as backendRef, with a clear message", () => {
    const result = applyYaml(
      `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: {name: b}
spec:
  schema: {name: OpenAI}
  backendRef: {name: svc, kind: Service, group: ""}
`,
      namespace.name,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "spec.backendRef: Invalid value: backendRef must be an Envoy Gateway Backend: set group: gateway.envoyproxy.io and kind: Backend",
    );
  });

  it("lets the CRD schema reject a sixteenth rule", () => {
    const rules = Array.from({ length: 16 }, (_, i) => `  - name: r${i}`).join("\n");
    const result = applyYaml(
      `apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: AIGatewayRoute\nmetadata: {name: big}\nspec:\n  rules:\n${rules}\n`,
      namespace.name,
    );
    expect(result.stderr).toContain("spec.rules: Too many: 16: must have at most 15 items");
  });

  describe("formats the CRD checks, with a sentence instead of the raw regex", () => {
    it("names a Gateway in capitals and says what a name may hold", () => {
      const result = applyYaml(
        route("gpt-4o").replace("{name: my-gateway}", "{name: My-Gateway}"),
        namespace.name,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        'spec.parentRefs[0].name: Invalid value: "My-Gateway": must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".")',
      );
      expect(result.stderr).not.toContain("should match");
    });

    it("says a timeout in words is not a duration", () => {
      const result = applyYaml(
        `${route("gpt-4o")}    timeouts: {request: "10 seconds"}\n`,
        namespace.name,
      );
      expect(result.stderr).toContain(
        'spec.rules[0].timeouts.request: Invalid value: "10 seconds": must be a duration such as 60s, 1m30s or 500ms',
      );
    });

    it("says an OIDC issuer needs its scheme", () => {
      const result = applyYaml(
        `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: issuer}
spec:
  type: AWSCredentials
  awsCredentials:
    region: us-east-1
    oidcExchangeToken:
      awsRoleArn: arn:aws:iam::123456789012:role/r
      oidc:
        provider: {issuer: issuer.example.com}
        clientID: c
        clientSecret: {name: s}
`,
        namespace.name,
      );
      expect(result.stderr).toContain(
        'spec.awsCredentials.oidcExchangeToken.oidc.provider.issuer: Invalid value: "issuer.example.com": must be an http(s) URL without spaces, such as https://issuer.example.com',
      );
    });

    it("leaves header names to the webhook, whose message names the header", () => {
      const result = applyYaml(
        route("gpt-4o").replace("name: x-ai-eg-model", 'name: "x model"'),
        namespace.name,
      );
      expect(result.stderr).toContain(
        `${WEBHOOK}: spec.rules[0].matches[0].headers[0].name: Invalid value: "x model": must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~), such as x-ai-eg-model`,
      );
    });
  });

  it("denies sixteen distinct backends at admission, naming the count and the fix", () => {
    const rules = Array.from(
      { length: 8 },
      (_, i) =>
        `  - name: r${i}\n    backendRefs: [{name: primary-${i}}, {name: fallback-${i}, priority: 1}]`,
    ).join("\n");
    const result = applyYaml(
      `apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: AIGatewayRoute\nmetadata: {name: wide}\nspec:\n  rules:\n${rules}\n`,
      namespace.name,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${WEBHOOK}: spec.rules: the route uses 16 distinct AIServiceBackends, but a route can use at most 15 (its HTTPRoute holds one rule per backend, plus the catch-all): split the rules over two AIGatewayRoutes`,
    );
  });

  it("accepts a rule whose backends all have weight 0, warning that it can never route", () => {
    const result = applyYaml(
      route("gpt-4o").replace("[{name: missing-backend}]", "[{name: missing-backend, weight: 0}]"),
      namespace.name,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "Warning: spec.rules[0].backendRefs: every backend has weight 0, so requests this rule matches can never be routed and fail with 503; give at least one backend a weight above 0, or remove the rule",
    );
  });

  describe("AWS credentials from the pod's own identity", () => {
    const awsPolicy = (credentials: string) => `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: bedrock-auth}
spec:
  type: AWSCredentials
  awsCredentials:
    region: us-east-1
${credentials}`;

    it("accepts a policy with only a region, as the reference does", () => {
      const result = applyYaml(awsPolicy(""), namespace.name);
      expect(result.code).toBe(0);
    });

    it("refuses a credentials file and OIDC together, saying how to use the pod's identity", () => {
      const result = applyYaml(
        awsPolicy(`    credentialsFile: {secretRef: {name: aws}}
    oidcExchangeToken:
      awsRoleArn: arn:aws:iam::123456789012:role/r
      oidc: {provider: {issuer: "https://issuer.example.com"}, clientID: c, clientSecret: {name: s}}
`),
        namespace.name,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "spec.awsCredentials: Invalid value: at most one of credentialsFile or oidcExchangeToken may be set; set neither to sign with the data plane pod's own AWS identity (IRSA, EKS Pod Identity or the instance role)",
      );
    });
  });

  describe("Azure credentials from the pod's own identity", () => {
    const azurePolicy = (credentials: string) => `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: azure-auth}
spec:
  type: AzureCredentials
  azureCredentials:
    tenantID: 00000000-0000-0000-0000-0000000000aa
${credentials}`;

    it("accepts useManagedIdentity without a clientID (system-assigned), as the reference does", () => {
      const result = applyYaml(azurePolicy("    useManagedIdentity: true\n"), namespace.name);
      expect(result.code).toBe(0);
    });

    it("accepts useManagedIdentity with a clientID (user-assigned or workload identity)", () => {
      const result = applyYaml(
        azurePolicy(
          "    useManagedIdentity: true\n    clientID: 11111111-2222-3333-4444-555555555555\n",
        ),
        namespace.name,
      );
      expect(result.code).toBe(0);
    });

    it("refuses useManagedIdentity with a client secret, with the reference's message", () => {
      const result = applyYaml(
        azurePolicy("    useManagedIdentity: true\n    clientSecretRef: {name: azure}\n"),
        namespace.name,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "spec.azureCredentials: Invalid value: When useManagedIdentity is true, clientSecretRef and oidcExchangeToken must not be specified. Otherwise, exactly one of clientSecretRef or oidcExchangeToken must be specified",
      );
    });

    it("refuses a client secret without a clientID, with the reference's message", () => {
      const result = applyYaml(azurePolicy("    clientSecretRef: {name: azure}\n"), namespace.name);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "spec.azureCredentials: Invalid value: clientID is optional for system-assigned managed identity but required otherwise",
      );
    });
  });

  describe("GCP credentials from the pod's own identity", () => {
    const gcpPolicy = (credentials: string) => `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: {name: vertex-auth}
spec:
  type: GCPCredentials
  gcpCredentials:
    projectName: my-project
    region: us-central1
${credentials}`;

    it("accepts neither a key file nor federation (Application Default Credentials), as the reference does", () => {
      const result = applyYaml(gcpPolicy(""), namespace.name);
      expect(result.code).toBe(0);
    });

    it("refuses a key file and federation together, with the reference's message", () => {
      const result = applyYaml(
        gcpPolicy(`    credentialsFile: {secretRef: {name: gcp}}
    workloadIdentityFederationConfig:
      projectID: "123456789"
      workloadIdentityPoolName: pool
      workloadIdentityProviderName: provider
      oidcExchangeToken:
        oidc: {provider: {issuer: "https://issuer.example.com"}, clientID: c, clientSecret: {name: s}}
`),
        namespace.name,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "spec.gcpCredentials: Invalid value: At most one of credentialsFile or workloadIdentityFederationConfig may be specified",
      );
    });
  });

  it("accepts prompt-cache write costs, by type and in CEL, as the reference's v1alpha1 does", () => {
    const result = applyYaml(
      `${route("claude-sonnet-4-5")}  llmRequestCosts:
  - {metadataKey: llm_cache_write_token, type: CacheCreationInputToken}
  - {metadataKey: weighted, type: CEL, cel: "input_tokens + cache_creation_input_tokens / 4u"}
`,
      namespace.name,
    );
    expect(result.code).toBe(0);
  });

  it("accepts a route whose backend does not exist yet, with a warning naming it", () => {
    const result = applyYaml(route("gpt-4o"), namespace.name);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `Warning: spec.rules[0].backendRefs[0]: AIServiceBackend "missing-backend" not found in namespace "${namespace.name}"; the route is not Accepted until it exists`,
    );
  });
});

describe("the README's examples", () => {
  const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
  // The AI Gateway resources the README shows (it also shows an Envoy Gateway policy).
  const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map(m => m[1])
    .filter(example => example.includes("apiVersion: aigateway.envoyproxy.io/"));
  const reason = (kind: string, name: string) =>
    jsonpath([kind, name, "-n", "default"], '{.status.conditions[?(@.type=="Accepted")].reason}');

  afterAll(() => {
    for (const example of examples)
      kubectl(["delete", "-n", "default", "--ignore-not-found", "-f", "-"], example);
    kubectl([
      "delete",
      "-n",
      "default",
      "--ignore-not-found",
      "backend/openai-backend",
      "secret/openai-secret",
    ]);
  });

  it("apply unchanged and reach the status the README gives", async () => {
    expect(examples.length).toBe(3);
    for (const example of examples) kubectlOk(["apply", "-n", "default", "-f", "-"], example);
    await waitFor("README statuses", () => {
      const now = [
        reason("aiservicebackend", "openai-backend"),
        reason("backendsecuritypolicy", "openai-auth"),
        reason("aigatewayroute", "openai-route"),
      ];
      return now.join() === "BackendNotFound,SecretNotFound,BackendNotFound" ? now : undefined;
    });

    kubectlOk([
      "create",
      "secret",
      "generic",
      "openai-secret",
      "-n",
      "default",
      "--from-literal=apiKey=sk-example",
    ]);
    kubectlOk(
      ["apply", "-n", "default", "-f", "-"],
      "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: openai-backend}\nspec:\n  endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]\n",
    );
    await waitFor("the backend and policy to be Accepted", () =>
      reason("aiservicebackend", "openai-backend") === "Accepted" &&
      reason("backendsecuritypolicy", "openai-auth") === "Accepted"
        ? true
        : undefined,
    );
    const message = jsonpath(
      ["aigatewayroute", "openai-route", "-n", "default"],
      '{.status.conditions[?(@.type=="Accepted")].message}',
    );
    expect(message).toBe('AIServiceBackend "groq-backend" not found in namespace "default"');
  });
});
