import winston from "winston";
import Transport from "winston-transport";

/** The parts of a pino logger the bridge needs; pepr's `Log` satisfies it. */
export interface PinoLike {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  trace(obj: object, msg?: string): void;
}

const pinoLevelFor: Record<string, keyof PinoLike> = {
  error: "error",
  warn: "warn",
  info: "info",
  http: "info",
  verbose: "debug",
  debug: "debug",
  silly: "trace",
};

/** Forwards winston records into a pino logger so a pod writes one log format. */
class PinoBridge extends Transport {
  constructor(private readonly target: PinoLike) {
    super();
  }

  override log(info: winston.Logform.TransformableInfo, next: () => void): void {
    const { level, message, ...fields } = info;
    const method = pinoLevelFor[level] ?? "info";
    this.target[method](fields, String(message));
    next();
  }
}

const configuredLevel = (process.env.LOG_LEVEL ?? "info").toLowerCase();

/**
 * The project's root logger, at `LOG_LEVEL` (the variable Pepr reads too; `silent` turns logging
 * off). Standalone processes (ext_proc server, CLI) log JSON to stderr.
 */
export const rootLogger = winston.createLogger({
  level: configuredLevel === "silent" ? "error" : configuredLevel,
  silent: configuredLevel === "silent",
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: Object.keys(pinoLevelFor) })],
});

/** A child logger tagged with the component that writes through it. */
export function componentLogger(component: string): winston.Logger {
  return rootLogger.child({ component });
}

/**
 * Sends every record of the project's loggers into `target` (inside the Pepr module: Pepr's pino
 * `Log`) instead of the console, so the module's pods write one JSON format with one level setting.
 */
export function bridgeLogsTo(target: PinoLike): void {
  rootLogger.clear();
  rootLogger.add(new PinoBridge(target));
}
