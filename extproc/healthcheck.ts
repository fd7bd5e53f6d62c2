/**
 * Asks a running ext_proc server whether it serves (grpc.health.v1.Health/Check), for container
 * runtimes whose health checks run a command. Exit code 0 when SERVING, 1 otherwise.
 */
import { credentials, makeGenericClientConstructor, type Client } from "@grpc/grpc-js";
import { extProcSettings } from "./settings";
import { EXTERNAL_PROCESSOR_SERVICE } from "./protocol";

const CHECK = "/grpc.health.v1.Health/Check";

/** A protobuf varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value >>>= 7) bytes.push((value & 0x7f) | 0x80);
  bytes.push(value);
  return bytes;
}

/**
 * grpc.health.v1.HealthCheckRequest { string service = 1; }, encoded by hand: one field is not
 * worth shipping the health .proto in the image.
 */
function encodeRequest(service: string): Buffer {
  const name = Buffer.from(service);
  return Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name]);
}

/** grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }: SERVING is 1. */
const saysServing = (response: Buffer) =>
  response.length >= 2 && response[0] === 0x08 && response[1] === 1;

/** The `healthcheck` command: exit code 0 when the server of `args`/`env` serves, else 1. */
export async function checkHealth(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const settings = extProcSettings(args, env);
  const address = settings.socket
    ? `unix:${settings.socket}`
    : `${dialableHost(settings.host)}:${settings.port}`;
  return (await isServing(address)) ? 0 : 1;
}

/** Where to reach a server listening on `host`: loopback for a wildcard, else the address itself. */
export function dialableHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Whether the ext_proc server at `address` (`host:port`, `unix:path`) reports SERVING. */
export async function isServing(address: string, deadlineMs = 3_000): Promise<boolean> {
  const Health = makeGenericClientConstructor({}, "Health");
  const client: Client = new Health(address, credentials.createInsecure());
  try {
    const response = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        CHECK,
        (value: Buffer) => value,
        (value: Buffer) => value,
        encodeRequest(EXTERNAL_PROCESSOR_SERVICE),
        { deadline: Date.now() + deadlineMs },
        (error, value) => (error || !value ? reject(error) : resolve(value)),
      ),
    );
    return saysServing(response);
  } catch {
    return false;
  } finally {
    client.close();
  }
}
