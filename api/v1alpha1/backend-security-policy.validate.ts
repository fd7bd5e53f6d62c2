/** What the schema cannot say about a BackendSecurityPolicy, one small function per rule. */
import type { ReferenceLookup } from "../validation/lookup";
import type { Violation } from "../validation/violation";
import {
  BackendSecurityPolicySpec,
  CREDENTIAL_FIELD_BY_TYPE,
  SECRET_KEYS,
} from "./backend-security-policy";
import type { SecretObjectReference } from "./shared";

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
const AWS_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const GCP_REGION = /^(global|[a-z]+-[a-z]+\d+)$/;

/** A Secret reference, where it sits in the spec, and the key the credential reads from it. */
export interface SecretUse {
  path: string;
  ref: SecretObjectReference;
  key: string;
}

/** Every Secret the policy's credential reads. */
export function secretUses(spec: BackendSecurityPolicySpec): SecretUse[] {
  const uses: SecretUse[] = [];
  const oidcSecret = (path: string, oidc: { clientSecret: SecretObjectReference } | undefined) => {
    if (oidc) uses.push({ path, ref: oidc.clientSecret, key: SECRET_KEYS.clientSecret });
  };
  if (spec.apiKey)
    uses.push({
      path: "spec.apiKey.secretRef",
      ref: spec.apiKey.secretRef,
      key: SECRET_KEYS.apiKey,
    });
  if (spec.azureAPIKey)
    uses.push({
      path: "spec.azureAPIKey.secretRef",
      ref: spec.azureAPIKey.secretRef,
      key: SECRET_KEYS.apiKey,
    });
  if (spec.anthropicAPIKey)
    uses.push({
      path: "spec.anthropicAPIKey.secretRef",
      ref: spec.anthropicAPIKey.secretRef,
      key: SECRET_KEYS.apiKey,
    });
  const aws = spec.awsCredentials;
  if (aws?.credentialsFile)
    uses.push({
      path: "spec.awsCredentials.credentialsFile.secretRef",
      ref: aws.credentialsFile.secretRef,
      key: SECRET_KEYS.awsCredentialsFile,
    });
  oidcSecret(
    "spec.awsCredentials.oidcExchangeToken.oidc.clientSecret",
    aws?.oidcExchangeToken?.oidc,
  );
  const azure = spec.azureCredentials;
  if (azure?.clientSecretRef)
    uses.push({
      path: "spec.azureCredentials.clientSecretRef",
      ref: azure.clientSecretRef,
      key: SECRET_KEYS.clientSecret,
    });
  oidcSecret(
    "spec.azureCredentials.oidcExchangeToken.oidc.clientSecret",
    azure?.oidcExchangeToken?.oidc,
  );
  const gcp = spec.gcpCredentials;
  if (gcp?.credentialsFile)
    uses.push({
      path: "spec.gcpCredentials.credentialsFile.secretRef",
      ref: gcp.credentialsFile.secretRef,
      key: SECRET_KEYS.gcpServiceAccount,
    });
  oidcSecret(
    "spec.gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken.oidc.clientSecret",
    gcp?.workloadIdentityFederationConfig?.oidcExchangeToken.oidc,
  );
  return uses;
}

/** Secrets must live in the policy's namespace: a policy must not read another team's Secrets. */
export function secretsInOtherNamespaces(
  spec: BackendSecurityPolicySpec,
  namespace: string,
): Violation[] {
  return secretUses(spec)
    .filter(use => use.ref.namespace !== undefined && use.ref.namespace !== namespace)
    .map(use => ({
      path: `${use.path}.namespace`,
      message: `Secret namespace "${use.ref.namespace}" is not allowed: a BackendSecurityPolicy can only use Secrets in its own namespace "${namespace}"`,
    }));
}

export function duplicateTargetRefs(spec: BackendSecurityPolicySpec): Violation[] {
  const seen = new Set<string>();
  const violations: Violation[] = [];
  spec.targetRefs?.forEach((target, index) => {
    if (seen.has(target.name)) {
      violations.push({
        path: `spec.targetRefs[${index}]`,
        message: `AIServiceBackend "${target.name}" is targeted twice; list each backend once`,
      });
    }
    seen.add(target.name);
  });
  return violations;
}

/** Region and role formats that would otherwise fail only at request time. */
export function invalidCloudIdentifiers(spec: BackendSecurityPolicySpec): Violation[] {
  const violations: Violation[] = [];
  const aws = spec.awsCredentials;
  if (aws && !AWS_REGION.test(aws.region)) {
    violations.push({
      path: "spec.awsCredentials.region",
      message: `${JSON.stringify(aws.region)} is not an AWS region such as us-east-1`,
    });
  }
  const roleArn = aws?.oidcExchangeToken?.awsRoleArn;
  if (roleArn !== undefined && !AWS_ROLE_ARN.test(roleArn)) {
    violations.push({
      path: "spec.awsCredentials.oidcExchangeToken.awsRoleArn",
      message: `${JSON.stringify(roleArn)} is not an IAM role ARN such as arn:aws:iam::123456789012:role/bedrock-invoker`,
    });
  }
  const gcp = spec.gcpCredentials;
  if (gcp && !GCP_REGION.test(gcp.region)) {
    violations.push({
      path: "spec.gcpCredentials.region",
      message: `${JSON.stringify(gcp.region)} is not a Vertex AI location such as us-central1 or global`,
    });
  }
  return violations;
}

export function ruleViolations(spec: BackendSecurityPolicySpec, namespace: string): Violation[] {
  return [
    ...secretsInOtherNamespaces(spec, namespace),
    ...duplicateTargetRefs(spec),
    ...invalidCloudIdentifiers(spec),
  ];
}

/** A backend takes one policy: two would leave it ambiguous which credential signs its requests. */
export async function targetsTakenByOtherPolicies(
  spec: BackendSecurityPolicySpec,
  name: string,
  namespace: string,
  lookup: ReferenceLookup,
): Promise<Violation[]> {
  if (!spec.targetRefs?.length) return [];
  const others = (await lookup.backendSecurityPolicies(namespace)).filter(p => p.name !== name);
  const violations: Violation[] = [];
  spec.targetRefs.forEach((target, index) => {
    const holder = others.find(policy => policy.targetNames.includes(target.name));
    if (holder) {
      violations.push({
        path: `spec.targetRefs[${index}]`,
        message: `AIServiceBackend "${target.name}" is already targeted by BackendSecurityPolicy "${holder.name}"; a backend takes one policy`,
      });
    }
  });
  return violations;
}

/** Warnings for targets and Secrets that do not exist yet, or Secrets without the needed key. */
export async function missingReferences(
  spec: BackendSecurityPolicySpec,
  namespace: string,
  lookup: ReferenceLookup,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const [index, target] of (spec.targetRefs ?? []).entries()) {
    if (!(await lookup.exists("AIServiceBackend", namespace, target.name))) {
      warnings.push(
        `spec.targetRefs[${index}]: AIServiceBackend "${target.name}" not found in namespace "${namespace}"`,
      );
    }
  }
  for (const use of secretUses(spec)) {
    const keys = await lookup.secretKeys(namespace, use.ref.name);
    if (keys === undefined) {
      warnings.push(
        `${use.path}: Secret "${use.ref.name}" not found in namespace "${namespace}"; the policy is not Accepted until it exists`,
      );
    } else if (!keys.includes(use.key)) {
      warnings.push(`${use.path}: Secret "${use.ref.name}" has no key "${use.key}"`);
    }
  }
  return warnings;
}

/** The spec field that must hold the credential of the policy's type. */
export const credentialFieldOf = (spec: BackendSecurityPolicySpec) =>
  CREDENTIAL_FIELD_BY_TYPE[spec.type];
