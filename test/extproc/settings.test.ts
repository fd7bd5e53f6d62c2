import { extProcSettings, SettingsError } from "../../extproc/settings";

describe("extProcSettings", () => {
  it("has defaults that match what the controller writes", () => {
    expect(extProcSettings([], {})).toEqual({
      port: 1063,
      host: "0.0.0.0",
      namespace: "ai-gateway-system",
      configSecretPrefix: "ai-gateway-config",
      metricsPort: 1064,
      shutdownDelaySeconds: 0,
      drainSeconds: 15,
      fallbackBudgetSeconds: 9,
      coolDownSeconds: 10,
    });
  });

  it("takes environment variables, and flags over them", () => {
    const settings = extProcSettings(["--port", "2000", "--config-dir=/etc/routes"], {
      AIGW_EXTPROC_PORT: "1999",
      AIGW_EXTPROC_SOCKET: "/run/extproc.sock",
      AIGW_EXTPROC_NAMESPACE: "gateway",
    });
    expect(settings).toMatchObject({
      port: 2000,
      socket: "/run/extproc.sock",
      namespace: "gateway",
      configDir: "/etc/routes",
    });
  });

  it.each([
    [["--prot", "1"], {}, 'unknown flag "--prot"'],
    [["--port"], {}, "--port needs a value"],
    [["--port", "http"], {}, "--port: Invalid input: expected number, received NaN"],
    [
      [],
      { AIGW_EXTPROC_PORT: "70000" },
      "AIGW_EXTPROC_PORT: Too big: expected number to be <=65535",
    ],
    [
      [],
      { AIGW_CONFIG_SECRET_PREFIX: "ai.config" },
      "AIGW_CONFIG_SECRET_PREFIX: must be a DNS label, without dots",
    ],
  ])("refuses %j %j with a message naming the flag or variable", (args, env, message) => {
    expect(() => extProcSettings(args, env)).toThrow(new SettingsError(message));
  });
});
