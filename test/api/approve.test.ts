import { ResourceValidator, ValidatedKind } from "../../api/validate";
import { Manifest, ManifestSet } from "../../resolve/manifest-set";
import { awsPolicy, changed, validBackend, validPolicy, validRoute } from "./examples";

const validator = new ResourceValidator();

async function validate(
  object: { kind: string; metadata: { name: string; namespace: string } },
  others: Manifest[],
) {
  return validator.validate(object.kind as ValidatedKind, object, {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    lookup: new ManifestSet(others),
  });
}

const cluster = [
  { kind: "Backend", metadata: { name: "openai-backend", namespace: "default" } },
  { kind: "Gateway", metadata: { name: "my-gateway", namespace: "default" } },
  {
    kind: "Secret",
    metadata: { name: "openai-secret", namespace: "default" },
    data: { apiKey: "c2stLi4u" },
  },
  validBackend(),
  changed(validBackend(), b => (b.metadata.name = "groq-backend")),
];

describe("the reference documentation's examples", () => {
  it.each([validBackend(), validPolicy(), validRoute()].map(o => [o.kind, o]))(
    "approves the %s example without warnings when what it refers to exists",
    async (_kind, object) => {
      expect(await validate(object, cluster)).toEqual({ violations: [], warnings: [] });
    },
  );
});

describe("costs", () => {
  it("approves prompt-cache write costs, by type and through CEL", async () => {
    const route = changed(validRoute(), r => {
      Object.assign(r.spec, {
        llmRequestCosts: [
          { metadataKey: "llm_cache_write_token", type: "CacheCreationInputToken" },
          {
            metadataKey: "weighted",
            type: "CEL",
            cel: "input_tokens + cache_creation_input_tokens / 4u + output_tokens * 4u",
          },
        ],
      });
    });
    expect(await validate(route, cluster)).toEqual({ violations: [], warnings: [] });
  });
});

describe("header regular expressions", () => {
  it("approves RE2 syntax that JavaScript's engine refuses, as Envoy accepts it", async () => {
    const route = changed(validRoute(), r => {
      r.spec.rules[0].matches[0].headers[0] = {
        type: "RegularExpression",
        name: "x-ai-eg-model",
        value: "(?i)gpt-4o(?P<date>-\\d{4}-\\d{2}-\\d{2})?",
      };
    });
    expect(() => new RegExp(route.spec.rules[0].matches[0].headers[0].value)).toThrow();
    expect(await validate(route, cluster)).toEqual({ violations: [], warnings: [] });
  });
});

describe("credentials from the pod's own identity", () => {
  it("approves an AWS policy with only a region: the data plane's AWS SDK default chain", async () => {
    const policy = changed(
      awsPolicy(),
      p => delete (p.spec.awsCredentials as { credentialsFile?: unknown }).credentialsFile,
    );
    const bedrock = changed(validBackend(), b => (b.metadata.name = "bedrock"));
    expect(await validate(policy, [bedrock])).toEqual({ violations: [], warnings: [] });
  });

  it("approves a GCP policy with neither a key file nor federation: Application Default Credentials", async () => {
    const policy = changed(validPolicy(), p => {
      p.spec.type = "GCPCredentials";
      delete (p.spec as { apiKey?: unknown }).apiKey;
      Object.assign(p.spec, { gcpCredentials: { projectName: "p", region: "us-central1" } });
    });
    expect(await validate(policy, [validBackend()])).toEqual({ violations: [], warnings: [] });
  });

  it.each([
    ["the system-assigned managed identity: no clientID", {}],
    ["a user-assigned managed identity or workload identity: a clientID", { clientID: "c" }],
  ])("approves an Azure policy with useManagedIdentity and %s", async (_what, clientID) => {
    const policy = changed(validPolicy(), p => {
      p.spec.type = "AzureCredentials";
      delete (p.spec as { apiKey?: unknown }).apiKey;
      Object.assign(p.spec, {
        azureCredentials: { tenantID: "tenant", useManagedIdentity: true, ...clientID },
      });
    });
    expect(await validate(policy, [validBackend()])).toEqual({ violations: [], warnings: [] });
  });
});

describe("what can never route", () => {
  it("approves a rule whose backends all have weight 0, with a warning saying why and the fix", async () => {
    const route = changed(validRoute(), r => {
      r.spec.rules[0].backendRefs = [
        { name: "openai-backend", weight: 0 },
        { name: "groq-backend", weight: 0, priority: 1 },
      ] as never;
    });
    expect(await validate(route, cluster)).toEqual({
      violations: [],
      warnings: [
        "spec.rules[0].backendRefs: every backend has weight 0, so requests this rule matches can never be routed and fail with 503; give at least one backend a weight above 0, or remove the rule",
      ],
    });
  });

  it("does not warn about one drained backend next to a weighted one, or a rule without backends", async () => {
    const route = changed(validRoute(), r => {
      (r.spec.rules[0].backendRefs[0] as { weight?: number }).weight = 0;
      r.spec.rules.push({ name: "empty" } as never);
    });
    expect((await validate(route, cluster)).warnings).toEqual([]);
  });

  it("counts backends by namespace and name: fifteen distinct ones are allowed", async () => {
    const route = changed(validRoute(), r => {
      r.spec.rules = Array.from({ length: 15 }, (_, i) => ({
        name: `r${i}`,
        // Every rule but the first also falls back to the first one's backend.
        backendRefs: i === 0 ? [{ name: "b0" }] : [{ name: `b${i}` }, { name: "b0", priority: 1 }],
      })) as never;
    });
    expect((await validate(route, [])).violations).toEqual([]);
  });
});

describe("references to objects that do not exist yet", () => {
  it("approves a route and names each missing backend and Gateway", async () => {
    expect(await validate(validRoute(), [])).toEqual({
      violations: [],
      warnings: [
        'spec.parentRefs[0]: Gateway "my-gateway" not found in namespace "default"; the route takes no traffic until it exists',
        'spec.rules[0].backendRefs[0]: AIServiceBackend "openai-backend" not found in namespace "default"; the route is not Accepted until it exists',
        'spec.rules[0].backendRefs[1]: AIServiceBackend "groq-backend" not found in namespace "default"; the route is not Accepted until it exists',
      ],
    });
  });

  it("names a missing backend once, at its first use, whatever namespace it is in", async () => {
    const route = changed(validRoute(), r => {
      r.spec.rules.push({
        backendRefs: [
          { name: "groq-backend" },
          { name: "openai-backend", namespace: "team-b" },
          { name: "openai-backend" },
        ],
      } as never);
    });
    expect((await validate(route, cluster.slice(0, 4))).warnings).toEqual([
      'spec.rules[0].backendRefs[1]: AIServiceBackend "groq-backend" not found in namespace "default"; the route is not Accepted until it exists',
      'spec.rules[1].backendRefs[1]: AIServiceBackend "openai-backend" not found in namespace "team-b"; the route is not Accepted until it exists',
    ]);
  });

  it("approves a backend whose Envoy Gateway Backend is missing", async () => {
    expect(await validate(validBackend(), [])).toEqual({
      violations: [],
      warnings: [
        'spec.backendRef: Backend "openai-backend" not found in namespace "default"; the AIServiceBackend is not Accepted until it exists',
      ],
    });
  });

  it("approves a policy whose target and Secret are missing, or whose Secret lacks the key", async () => {
    expect(await validate(validPolicy(), [])).toEqual({
      violations: [],
      warnings: [
        'spec.targetRefs[0]: AIServiceBackend "openai-backend" not found in namespace "default"',
        'spec.apiKey.secretRef: Secret "openai-secret" not found in namespace "default"; the policy is not Accepted until it exists',
      ],
    });
    const secretWithoutKey = {
      kind: "Secret",
      metadata: { name: "openai-secret", namespace: "default" },
      data: { key: "eA==" },
    };
    expect((await validate(validPolicy(), [validBackend(), secretWithoutKey])).warnings).toEqual([
      'spec.apiKey.secretRef: Secret "openai-secret" has no key "apiKey"',
    ]);
  });

  it("lets a policy be updated while it is the one that targets the backend", async () => {
    expect((await validate(validPolicy(), [...cluster, validPolicy()])).violations).toEqual([]);
  });
});

describe("defaults", () => {
  it("parses the spec as the API server stores it", () => {
    const { spec } = validator.parseSpec<{ backendRef: unknown; schema: unknown }>(
      "AIServiceBackend",
      {
        spec: { schema: { name: "OpenAI" }, backendRef: { name: "b" } },
      },
    );
    expect(spec?.backendRef).toEqual({
      group: "gateway.envoyproxy.io",
      kind: "Backend",
      name: "b",
    });
  });
});
