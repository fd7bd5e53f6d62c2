/**
 * A server under test as a separate process, pinned to one core when `taskset` is there: started,
 * watched until it logs `serving`, read for its CPU time and resident memory in /proc, stopped.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

/** The CPUs this process may run on (Linux: Cpus_allowed_list), or undefined when unknown. */
export function allowedCpus(): number[] | undefined {
  try {
    const line = readFileSync("/proc/self/status", "utf8")
      .split("\n")
      .find(l => l.startsWith("Cpus_allowed_list:"));
    if (!line) return undefined;
    return line
      .slice(line.indexOf(":") + 1)
      .trim()
      .split(",")
      .flatMap(range => {
        const [from, to = from] = range.split("-").map(Number);
        return Array.from({ length: to - from + 1 }, (_, i) => from + i);
      });
  } catch {
    return undefined;
  }
}

/** Whether `taskset` can pin processes here. */
export function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** `command args`, to run pinned to `cpu` with taskset when one is given: [file, argv] to spawn. */
export function pinnedCommand(
  cpu: number | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpu === undefined
    ? [command, [...args]]
    : ["taskset", ["-c", String(cpu), command, ...args]];
}

/** Pins every thread of this process to `cpu`; false when that was not possible. */
export function pinSelf(cpu: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-c", "-p", String(cpu), String(process.pid)], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ServerProcessOptions {
  name: string;
  /** node's arguments: flags, then the script and its arguments. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** Pin to this core with taskset (when set). */
  cpu?: number;
  /**
   * Polled (every 50 ms) until it resolves true, when the server does not log `serving` (the
   * ext_proc server at LOG_LEVEL=warn): its gRPC health check, say.
   */
  ready?: () => Promise<boolean>;
}

export class ServerProcess {
  /** stderr bytes and lines written since start. */
  logBytes = 0;
  logLines = 0;
  private tail: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise(resolve => child.once("exit", code => resolve(code)));
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const [command, args] = pinnedCommand(options.cpu, process.execPath, options.nodeArgs);
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const server = new ServerProcess(options.name, child);
    const serving = server.serving();
    if (options.ready) {
      void serving.catch(() => {});
      await server.poll(options.ready);
    } else {
      await serving;
    }
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves at the JSON log line `serving`; keeps reading (and counting) stderr after it. */
  private serving(): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = "";
      let ready = false;
      this.child.stderr!.on("data", (chunk: Buffer) => {
        this.logBytes += chunk.length;
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        this.logLines += lines.length;
        if (ready) {
          this.tail = [...this.tail, ...lines.slice(-5)].slice(-5);
          return;
        }
        for (const line of lines) {
          this.tail = [...this.tail, line].slice(-5);
          if (line.includes('"message":"serving"')) {
            ready = true;
            resolve();
          }
        }
      });
      void this.exited.then(code =>
        reject(
          new Error(`${this.name} exited with ${code} before serving:\n${this.tail.join("\n")}`),
        ),
      );
    });
  }

  private async poll(ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    let code: number | null | undefined;
    void this.exited.then(c => (code = c ?? -1));
    const deadline = Date.now() + timeoutMs;
    while (!(await ready().catch(() => false))) {
      if (code !== undefined || Date.now() > deadline) {
        throw new Error(`${this.name} is not ready (exit code ${code}):\n${this.tail.join("\n")}`);
      }
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  /** The last lines it logged. */
  lastLines(): string[] {
    return [...this.tail];
  }

  /** User + system CPU time of the whole process, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command name: state is field 3, utime 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  }

  /** VmRSS, in MB (10^6 bytes). */
  rssMB(): number {
    const line = readFileSync(`/proc/${this.pid}/status`, "utf8")
      .split("\n")
      .find(l => l.startsWith("VmRSS:"));
    return (Number(line?.match(/(\d+)/)?.[1] ?? NaN) * 1024) / 1e6;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
