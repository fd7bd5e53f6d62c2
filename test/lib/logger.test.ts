import Transport from "winston-transport";
import { bridgeLogsTo, componentLogger, logRecord, PinoLike, rootLogger } from "../../lib/logger";

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

describe("logRecord", () => {
  /** The text each transport gets to write (winston's MESSAGE), at `level`. */
  function consoleLines(level: string, run: () => void): string[] {
    const lines: string[] = [];
    class Recording extends Transport {
      override log(info: Record<symbol, unknown>, next: () => void): void {
        lines.push(String(info[Symbol.for("message")]));
        next();
      }
    }
    const previous = { level: rootLogger.level, silent: rootLogger.silent };
    const others = [...rootLogger.transports];
    rootLogger.clear();
    rootLogger.add(new Recording());
    rootLogger.level = level;
    rootLogger.silent = false;
    try {
      run();
    } finally {
      rootLogger.clear();
      for (const other of others) rootLogger.add(other);
      rootLogger.level = previous.level;
      rootLogger.silent = previous.silent;
    }
    return lines;
  }

  const fields = { route: "a/b", status: 200, stream: false, fallbackFrom: ["x"], gone: undefined };

  it("writes the line winston writes for the same record", () => {
    const logger = componentLogger("extproc");
    const lines = consoleLines("info", () => {
      logger.info("request", fields);
      logRecord(logger, "request", fields);
    });
    expect(lines).toHaveLength(2);
    const withoutTime = lines.map(line => line.replace(/"timestamp":"[^"]+"/, ""));
    expect(withoutTime[1]).toBe(withoutTime[0]);
    expect(JSON.parse(lines[1])).toEqual({
      component: "extproc",
      level: "info",
      message: "request",
      route: "a/b",
      status: 200,
      stream: false,
      fallbackFrom: ["x"],
      timestamp: expect.any(String),
    });
  });

  it("writes nothing above info", () => {
    expect(
      consoleLines("warn", () => logRecord(componentLogger("extproc"), "request", fields)),
    ).toEqual([]);
  });
});
