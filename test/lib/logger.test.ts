import { bridgeLogsTo, componentLogger, PinoLike, rootLogger } from "../../lib/logger";

describe("bridgeLogsTo", () => {
  it("forwards records with their fields and mapped level into the pino logger", () => {
    const calls: Array<[string, object, string | undefined]> = [];
    const record =
      (level: string) =>
      (obj: object, msg?: string): void => {
        calls.push([level, obj, msg]);
      };
    const pino: PinoLike = {
      error: record("error"),
      warn: record("warn"),
      info: record("info"),
      debug: record("debug"),
      trace: record("trace"),
    };
    bridgeLogsTo(pino);
    rootLogger.silent = false;
    rootLogger.level = "info";

    componentLogger("reconciler").warn("route not accepted", { name: "r1", namespace: "default" });

    expect(calls).toHaveLength(1);
    const [level, fields, message] = calls[0];
    expect(level).toBe("warn");
    expect(message).toBe("route not accepted");
    expect(fields).toMatchObject({ component: "reconciler", name: "r1", namespace: "default" });
  });
});
