// Three projects: fast unit tests, the cluster tests that run against a real local control plane, and
// the Go-backed checks (they need Go and a Go module proxy).
const esmPackages = [
  "kubernetes-fluent-client",
  "@kubernetes/client-node",
  "openid-client",
  "oauth4webapi",
  "jose",
  "@marcbachmann/cel-js",
];

const shared = {
  testEnvironment: "node",
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: { module: "commonjs", isolatedModules: true } }],
    "^.+\\.m?js$": "<rootDir>/test/support/esm-to-cjs.js",
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join("|")})/)`],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  setupFiles: ["<rootDir>/test/support/env.js"],
  // The test cluster's etcd keeps `*.snap` files, which jest would take for stale snapshots.
  modulePathIgnorePatterns: ["<rootDir>/.testcluster/", "<rootDir>/dist/"],
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: "unit",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/cluster/", "<rootDir>/test/go/"],
    },
    {
      ...shared,
      displayName: "cluster",
      testMatch: ["<rootDir>/test/cluster/**/*.test.ts"],
      globalSetup: "<rootDir>/test/cluster/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/cluster/support/global-teardown.ts",
      setupFilesAfterEnv: ["<rootDir>/test/support/long-timeout.ts"],
    },
    {
      ...shared,
      displayName: "go",
      testMatch: ["<rootDir>/test/go/**/*.test.ts"],
      // Builds egctl (minutes on a cold Go cache) once, before the files run in parallel.
      globalSetup: "<rootDir>/test/go/support/global-setup.ts",
      // The first run downloads Go modules and builds a tool.
      setupFilesAfterEnv: ["<rootDir>/test/support/long-timeout.ts"],
    },
  ],
};
