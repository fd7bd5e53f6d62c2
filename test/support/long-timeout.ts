// Jest reads `testTimeout` from the global configuration only, not from a project's: the projects
// whose tests wait on real servers and builds set theirs here.
jest.setTimeout(Number(process.env.AIGW_TEST_TIMEOUT_MS ?? 600_000));
