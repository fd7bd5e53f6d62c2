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

/** The component of each logger `componentLogger` made, for `logRecord`. */
const componentOf = new WeakMap<winston.Logger, string>();

/** A child logger tagged with the component that writes through it. */
export function componentLogger(component: string): winston.Logger {
  const logger = rootLogger.child({ component });
  componentOf.set(logger, component);
  return logger;
}

/** winston's keys (triple-beam's, registered globally) for a record's level and its text. */
const LEVEL = Symbol.for("level");
const MESSAGE = Symbol.for("message");

/**
 * `logger.info(message, fields)`, for a line written on every request: the same record (the same
 * JSON line, keys sorted as winston's json format sorts them) handed to the root logger's
 * transports directly. Winston's own path pipes each record through a Transform
 * stream per logger and its format chain, ~35 µs a line on Node 20 against ~5 µs here, which was
 * a tenth of a request's cost in the ext_proc server.
 *
 * `fields` must be flat JSON values: strings, numbers, booleans, arrays of them (no Error, no
 * nested object, whose keys winston would sort too). A logger not made by `componentLogger`
 * (a test's own) gets `logger.info` itself.
 */
export function logRecord(
  logger: winston.Logger,
  message: string,
  fields: Record<string, unknown>,
): void {
  const component = componentOf.get(logger);
  if (component === undefined) {
    logger.info(message, fields);
    return;
  }
  const levels = rootLogger.levels;
  if (rootLogger.silent || levels[rootLogger.level] < levels.info) return;
  const timestamp = new Date().toISOString();
  // Winston's console transport reads only the level and the line; other transports (the Pepr
  // bridge, a test's) get the whole record, built only for them.
  const line: winston.Logform.TransformableInfo = { level: "info", message };
  line[LEVEL] = "info";
  line[MESSAGE] = jsonLine(fields, { component, level: "info", message, timestamp });
  let record: winston.Logform.TransformableInfo | undefined;
  batchStderrWrites();
  for (const transport of rootLogger.transports) {
    // What a transport does with a record piped to it (winston-transport's _write): skip when
    // silent or above its level, apply its own format if it has one.
    if (transport.silent) continue;
    if (transport.level !== undefined && levels[transport.level] < levels.info) continue;
    if (!transport.format && transport instanceof ConsoleTransport) {
      transport.log?.(line, noop);
      continue;
    }
    record ??= Object.assign({ ...fields, component, level: "info", message, timestamp }, line);
    const formatted = transport.format
      ? transport.format.transform({ ...record }, transport.format.options)
      : record;
    if (formatted) transport.log?.(formatted, noop);
  }
}

const noop = () => undefined;

/** Read once: `winston.transports.Console` is a getter that calls `require` on every read. */
const ConsoleTransport = winston.transports.Console;

/** The JSON key text (`"name":`) of each key, in sorted order, per set of keys in insertion order. */
const sortedKeyTexts = new Map<string, Array<[key: string, text: string]>>();

/**
 * The JSON line winston's json format writes for `fields` with the record's own keys: keys sorted
 * (as its safe-stable-stringify sorts them), undefined values left out. Built as text: objects
 * spread, sorted and stringified for every request cost the server some 20 µs of CPU a request
 * under load, measured, against a few here.
 */
function jsonLine(fields: Record<string, unknown>, own: Record<string, string>): string {
  const shape = Object.keys(fields).join("\n");
  let keys = sortedKeyTexts.get(shape);
  if (!keys) {
    const names = [...new Set([...Object.keys(fields), ...Object.keys(own)])].sort();
    keys = names.map(name => [name, `${JSON.stringify(name)}:`]);
    if (sortedKeyTexts.size < 256) sortedKeyTexts.set(shape, keys);
  }
  let line = "";
  for (const [key, text] of keys) {
    const value = key in own ? own[key] : fields[key];
    if (value === undefined) continue;
    line += `${line === "" ? "{" : ","}${text}${JSON.stringify(value)}`;
  }
  return `${line}}`;
}

let stderrCorked = false;
let flushAtExit = false;

/**
 * Holds what is written to stderr until the event loop's next turn, then writes it at once. stderr
 * is a pipe in a pod (and in the benchmark), written synchronously, line by line: a write for each
 * request's line cost the ext_proc server some 40 µs of CPU per request more than one write for all
 * the lines of a turn. Everything written to stderr goes through the same stream, so the order of
 * the lines stays as written; what is held is written before the process exits.
 */
function batchStderrWrites(): void {
  if (stderrCorked) return;
  stderrCorked = true;
  process.stderr.cork();
  setImmediate(uncorkStderr);
  if (!flushAtExit) {
    flushAtExit = true;
    process.on("exit", uncorkStderr);
  }
}

function uncorkStderr(): void {
  if (!stderrCorked) return;
  stderrCorked = false;
  process.stderr.uncork();
}

/**
 * Sends every record of the project's loggers into `target` (inside the Pepr module: Pepr's pino
 * `Log`) instead of the console, so the module's pods write one JSON format with one level setting.
 */
export function bridgeLogsTo(target: PinoLike): void {
  rootLogger.clear();
  rootLogger.add(new PinoBridge(target));
}
