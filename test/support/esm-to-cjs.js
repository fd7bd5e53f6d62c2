// Jest on Node 20 cannot load the ESM-only Kubernetes clients (and a few other ESM-only packages)
// that pepr's CommonJS bundle requires. This transformer rewrites those packages to CommonJS.
const { transformSync } = require("esbuild");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: "cjs",
      target: "node20",
      loader: "js",
      sourcemap: true,
      sourcefile: filename,
    });
    return { code, map };
  },
};
