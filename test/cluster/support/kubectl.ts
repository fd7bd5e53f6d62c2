/** kubectl against the test cluster, as users run it, and small helpers around it. */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(args: string[], stdin?: string): KubectlResult {
  const result = spawnSync(process.env.AIGW_KUBECTL ?? "kubectl", args, {
    encoding: "utf8",
    input: stdin,
    env: process.env,
  });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** kubectl that must succeed. */
export function kubectlOk(args: string[], stdin?: string): string {
  const result = kubectl(args, stdin);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

export const applyYaml = (yaml: string, namespace: string) =>
  kubectl(["apply", "-n", namespace, "-f", "-"], yaml);

/** A fresh namespace for one test file; `cleanup` deletes it (the namespace controller empties it). */
export function testNamespace(prefix: string): { name: string; cleanup: () => void } {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  kubectlOk(["create", "namespace", name]);
  return { name, cleanup: () => void kubectl(["delete", "namespace", name, "--wait=false"]) };
}

export function jsonpath(args: string[], path: string): string {
  return kubectlOk(["get", ...args, "-o", `jsonpath=${path}`]);
}

/**
 * Polls `check` until it returns a value that is not undefined. On a timeout, `explain` (when
 * given) adds what was seen, so a failure in CI can be understood from its message alone.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 30_000,
  explain?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  const seen = explain ? `\n${explainSafely(explain)}` : "";
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}${seen}`,
  );
}

function explainSafely(explain: () => string): string {
  try {
    return explain();
  } catch (error) {
    return `(could not tell what was seen: ${(error as Error).message})`;
  }
}

/** The reason of an object's Accepted condition ("" while it has none). */
export const acceptedReason = (namespace: string, kind: string, name: string) =>
  jsonpath([kind, name, "-n", namespace], '{.status.conditions[?(@.type=="Accepted")].reason}');
