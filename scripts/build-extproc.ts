/**
 * Builds what the ext_proc image runs and what installs it:
 * - `dist/extproc/server.js`: the server and every library it uses in one file, so the image needs
 *   no node_modules, with the .proto files it loads at run time beside it in `proto/`;
 * - `dist/ai-gateway-extproc.yaml`: its namespace, RBAC, Deployment, PodDisruptionBudget and Service.
 *   The image reference is `AIGW_EXTPROC_IMAGE` (default `ai-gateway-extproc:<version>`); a cloud's
 *   workload identity is set with `AIGW_EXTPROC_SERVICE_ACCOUNT_ANNOTATIONS` and
 *   `AIGW_EXTPROC_POD_LABELS` (deploy/install-options.ts).
 *
 *   npm run build:extproc      (`npm run build` runs it after the Pepr module's build)
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { stringify } from "yaml";
import { buildExtProcManifests } from "../deploy/extproc-manifests";
import { installFromEnv } from "../deploy/install-options";
import { PROTO_DIR } from "../extproc/protocol";

const ROOT = join(__dirname, "..");
const OUT = join(ROOT, "dist/extproc");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/**
 * grpc-health-check loads its .proto from its own package folder (`__dirname/../../proto`); in
 * one bundle that folder is gone, so it reads the copy beside the bundle instead.
 */
const healthProtoBesideBundle: Plugin = {
  name: "health-proto-beside-bundle",
  setup(esbuild) {
    esbuild.onLoad({ filter: /grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/ }, args => {
      const source = readFileSync(args.path, "utf8");
      const patched = source.replaceAll("`${__dirname}/../../proto`", "`${__dirname}/proto`");
      if (patched === source)
        throw new Error(`${args.path}: its proto folder is no longer where this build expects it`);
      return { contents: patched, loader: "js" };
    });
  },
};

async function main(): Promise<void> {
  // First: a mistake in the install's variables fails the build before it bundles anything.
  const install = installFromEnv(process.env, version);
  rmSync(OUT, { recursive: true, force: true });
  await build({
    entryPoints: [join(ROOT, "extproc/entry.ts")],
    outfile: join(OUT, "server.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    sourcemap: true,
    legalComments: "external",
    // Functions and classes keep their names where bundling renames one to avoid a clash
    // (`File2`): error names and stack traces stay as in the sources. (It was first needed for
    // kubernetes-fluent-client, which takes a kind from a class's name and is no longer bundled.)
    keepNames: true,
    // Without the libraries' comments. A few hold characters beyond Latin-1 (’, —), and one such
    // character makes V8 hold the whole source as a two-byte string: the server then kept about
    // 50 MB more under load (bench/extproc, with 1,000 streams open: 230-240 MB, now about 180).
    // Names and lines stay readable; the source map still maps to the TypeScript.
    minifyWhitespace: true,
    // In a pod the server reads its service account itself (lib/cluster-access.ts); this library,
    // needed only for a kubeconfig, is 14 MB of source and about 40 MB of resident memory.
    external: ["@kubernetes/client-node"],
    logLevel: "warning",
    plugins: [healthProtoBesideBundle],
  });
  cpSync(PROTO_DIR, join(OUT, "proto"), { recursive: true });
  const healthProto = dirname(require.resolve("grpc-health-check/proto/health/v1/health.proto"));
  mkdirSync(join(OUT, "proto/health/v1"), { recursive: true });
  cpSync(healthProto, join(OUT, "proto/health/v1"), { recursive: true });

  const manifests = buildExtProcManifests(install);
  writeFileSync(
    join(ROOT, "dist/ai-gateway-extproc.yaml"),
    manifests.map(object => stringify(object, { lineWidth: 0 })).join("---\n"),
  );
  process.stdout.write(
    `built dist/extproc/server.js and dist/ai-gateway-extproc.yaml (image ${install.image})\n`,
  );
}

main().catch(error => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
