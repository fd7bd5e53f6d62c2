/** Captures everything the project's winston loggers write, at every level. */
import Transport from "winston-transport";
import { rootLogger } from "../../../lib/logger";

class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

/** Starts capturing; call the returned `stop()` to detach and restore the logger settings. */
export function captureLogs(): { lines: string[]; stop(): void } {
  const transport = new MemoryTransport({ level: "silly" });
  const previous = { level: rootLogger.level, silent: rootLogger.silent };
  // The console transport stays quiet: the test reads the records, nobody else needs them.
  const others = rootLogger.transports.map(other => [other, other.silent] as const);
  for (const [other] of others) other.silent = true;
  rootLogger.add(transport);
  rootLogger.level = "silly";
  rootLogger.silent = false;
  return {
    lines: transport.lines,
    stop() {
      rootLogger.remove(transport);
      rootLogger.level = previous.level;
      rootLogger.silent = previous.silent;
      for (const [other, silent] of others) other.silent = silent;
    },
  };
}
