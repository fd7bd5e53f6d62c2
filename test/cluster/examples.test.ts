/**
 * Every example in examples/, applied in a shuffled order into a namespace of its own, reaches
 * Accepted once its objects exist and Envoy Gateway's controller accepted the generated ones, with
 * its configuration delivered. The order changes per example but not per run (a fixed seed).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { shuffled } from "../support/seeded-random";
import { configEntry } from "./support/config-entry";
import { acceptedReason, kubectlOk, testNamespace, waitFor } from "./support/kubectl";

const EXAMPLES = join(__dirname, "../../examples");

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}

describe.each(readdirSync(EXAMPLES).filter(file => file.endsWith(".yaml")))(
  "examples/%s, applied in a shuffled order",
  file => {
    const namespace = testNamespace(file.replace(/\.yaml$/, "").slice(0, 20));
    const ns = namespace.name;
    afterAll(() => namespace.cleanup());

    it("has every object Accepted and every route's configuration delivered", async () => {
      const manifests = parseAllDocuments(readFileSync(join(EXAMPLES, file), "utf8"))
        .map(document => document.toJS() as Manifest)
        .filter(manifest => manifest?.kind)
        .map(manifest => ({ ...manifest, metadata: { ...manifest.metadata, namespace: ns } }));
      for (const manifest of shuffled(manifests, file.length))
        kubectlOk(["apply", "-n", ns, "-f", "-"], JSON.stringify(manifest));

      const ours = manifests.filter(m =>
        ["AIGatewayRoute", "AIServiceBackend", "BackendSecurityPolicy"].includes(m.kind),
      );
      const routes = ours.filter(m => m.kind === "AIGatewayRoute").map(m => m.metadata.name);
      await waitFor(
        "the routes' generated objects",
        () => (routes.every(route => configEntry(ns, route)) ? true : undefined),
        60_000,
      );
      const notAccepted = () =>
        ours
          .map(m => [
            m.kind,
            m.metadata.name,
            acceptedReason(ns, m.kind.toLowerCase(), m.metadata.name),
          ])
          .filter(([, , why]) => why !== "Accepted");
      await waitFor(
        "everything to be Accepted",
        () => (notAccepted().length ? undefined : true),
        60_000,
      ).catch(error => {
        throw new Error(`${error.message}; not Accepted: ${JSON.stringify(notAccepted())}`);
      });
      for (const route of routes) {
        const config = configEntry(ns, route)!;
        for (const rule of config.rules) expect(rule.backends.length).toBeGreaterThan(0);
      }
    });
  },
);
