/**
 * Restores environment variables after each test of the enclosing block: tests that point
 * KUBECONFIG or HOME somewhere else leave the next test the environment it started with.
 */
export function restoreEnvAfterEach(...names: string[]): void {
  const saved = Object.fromEntries(names.map(name => [name, process.env[name]]));
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      // Assigning undefined would set the text "undefined".
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
