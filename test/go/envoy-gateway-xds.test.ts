/**
 * Envoy Gateway itself judges what the controller writes. For every example, Envoy Gateway's own
 * translator (`egctl x translate`, built from the Go module at the version the project targets)
 * reads the Gateway API objects the example holds and the objects in its golden file (what
 * `ai-gateway translate` prints for it, which the unit tests keep equal to the builders' output),
 * and this test checks the status it would write and the Envoy configuration it would send against
 * what the ext_proc server and the route documents assume:
 *
 * - every generated object Accepted, the HTTPRoute's references resolved, and the controller's own
 *   reading of that status (`envoyGatewayProblem`) finding nothing wrong;
 * - the ext_proc filter enabled on exactly the route's Envoy routes, with the processing mode,
 *   timeouts, request attribute and writable metadata namespace the server relies on;
 * - Envoy route names from which `routeKeyOfXdsRouteName` finds the route;
 * - for each backend of the route document, one Envoy route matching `x-ai-eg-backend: <id>`, to a
 *   cluster that reaches the document's endpoint, with the Host rewritten to it;
 * - the catch-all 404 after every backend route;
 * - a request buffer large enough for a 1 MiB request through the buffered ext_proc filter.
 *
 * Needs Go (1.26) and a Go module proxy: the first run builds egctl into .testcluster/bin/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NOT_FOUND_MESSAGE } from "../../builders/http-route";
import {
  METADATA_NAMESPACE,
  routeKeyOfXdsRouteName,
  SELECTED_BACKEND_HEADER,
} from "../../contract/route-config";
import { envoyGatewayProblem } from "../../status/envoy-gateway-status";
import { bytesOfQuantity } from "../support/quantity";
import { ENVOY_GATEWAY_VERSION, ensureEgctl } from "../cluster/harness/envoy-gateway-binaries";
import {
  clustersOf,
  egctlTranslate,
  endpointsOf,
  field,
  gatewayConnectionManagersOf,
  httpFiltersOf,
  objectsOf,
  translationInput,
  virtualHostsOf,
  type TranslationResult,
  type Xds,
} from "./support/egctl-translation";
import {
  conditionsOf,
  generatedRoutes,
  ourEnvoyRoute,
  problemsOf,
  type GeneratedRoute,
} from "./support/generated-route";

const EXAMPLES = join(__dirname, "../../examples");
const GOLDEN = join(__dirname, "../cli/golden");

/** What the ext_proc server is written for (extproc/processor.ts, pipeline/). */
const SERVER_PROCESSING_MODE = {
  // The model is in the body: the server needs it whole before it can route.
  requestHeaderMode: "SEND",
  requestBodyMode: "BUFFERED",
  requestTrailerMode: "SKIP",
  responseHeaderMode: "SEND",
  // Buffered by default; the server switches a stream to STREAMED with a mode override.
  responseBodyMode: "BUFFERED",
  responseTrailerMode: "SKIP",
};

/** A chat request with a long conversation or an image: it must not meet Envoy's 413. */
const LARGE_REQUEST_BYTES = 1024 * 1024;

const EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
const BUFFER_FILTER = "envoy.filters.http.buffer";

/** `10s`, as protojson prints a Duration. */
const protoDuration = (gatewayDuration: string) => `${Number.parseInt(gatewayDuration, 10)}s`;

let egctl: string;

beforeAll(() => {
  egctl = ensureEgctl("test/go/envoy-gateway-xds.test.ts");
});

const examples = readdirSync(EXAMPLES).filter(file => file.endsWith(".yaml"));

describe.each(examples)(`examples/%s through Envoy Gateway v${ENVOY_GATEWAY_VERSION}`, file => {
  let result: TranslationResult;
  let routes: GeneratedRoute[];

  beforeAll(() => {
    const golden = readFileSync(join(GOLDEN, file), "utf8");
    routes = generatedRoutes(golden);
    result = egctlTranslate(
      egctl,
      translationInput(readFileSync(join(EXAMPLES, file), "utf8"), golden),
    );
  });

  it("accepts every generated object, with the HTTPRoute's references resolved", () => {
    expect(routes.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const route of routes) {
      const ref = `${route.namespace}/${route.name}`;
      const httpRoute = result.httpRoutes?.find(
        r => r.metadata.namespace === route.namespace && r.metadata.name === route.name,
      );
      const policy = result.envoyExtensionPolicies?.find(
        p => p.metadata.name === route.policy.metadata.name,
      );
      const extProcBackendName = field<string>(
        route.policy,
        "spec",
        "extProc",
        0,
        "backendRefs",
        0,
        "name",
      );
      const extProcBackend = result.backends?.find(
        b => b.metadata.namespace === route.namespace && b.metadata.name === extProcBackendName,
      );
      const parents = httpRoute?.status?.parents ?? [];
      if (parents.length === 0) problems.push(`HTTPRoute ${ref}: no parent in its status`);
      for (const parent of parents)
        problems.push(
          ...problemsOf(`HTTPRoute ${ref} on ${parent.parentRef?.name}`, parent.conditions, [
            "Accepted",
            "ResolvedRefs",
          ]),
        );
      const trafficPolicy = result.backendTrafficPolicies?.find(
        p =>
          p.metadata.namespace === route.namespace &&
          p.metadata.name === route.trafficPolicy.metadata.name,
      );
      for (const [what, object] of [
        ["EnvoyExtensionPolicy", policy],
        ["BackendTrafficPolicy", trafficPolicy],
      ] as const) {
        const ancestors = object?.status?.ancestors ?? [];
        if (ancestors.length === 0) problems.push(`${what} of ${ref}: no ancestor in its status`);
        for (const ancestor of ancestors)
          problems.push(...problemsOf(`${what} of ${ref}`, ancestor.conditions, ["Accepted"]));
      }
      problems.push(
        ...problemsOf(`ext_proc Backend of ${ref}`, conditionsOf(extProcBackend), ["Accepted"]),
      );
      // The controller reads this very status to decide the AIGatewayRoute's Accepted condition.
      const verdict = envoyGatewayProblem(ref, true, {
        httpRoute: httpRoute?.status,
        extensionPolicy: policy?.status,
        extProcBackend: extProcBackend?.status,
      });
      if (verdict) problems.push(`the controller would say ${verdict.reason}: ${verdict.message}`);
    }
    for (const backend of result.backends ?? [])
      problems.push(
        ...problemsOf(`Backend ${backend.metadata.name}`, conditionsOf(backend), ["Accepted"]),
      );
    expect(problems).toEqual([]);
  });

  it("puts the ext_proc filter on exactly the route's Envoy routes, as the server needs it", () => {
    const managers = gatewayConnectionManagersOf(result);
    expect(managers.length).toBeGreaterThan(0);
    const hosts = virtualHostsOf(result);
    const clusters = clustersOf(result);
    const endpoints = endpointsOf(result);
    for (const route of routes) {
      const policyName = route.policy.metadata.name;
      const extProc = field<Record<string, unknown>>(route.policy, "spec", "extProc", 0) ?? {};
      const filterName = `${EXT_PROC_FILTER}/envoyextensionpolicy/${route.namespace}/${policyName}/extproc/0`;
      const messageTimeout = protoDuration(String(extProc.messageTimeout));
      for (const { manager } of managers) {
        const filter = httpFiltersOf(manager).find(f => f.name === filterName);
        // Disabled on the listener: each route of the policy's HTTPRoute enables it.
        expect(filter).toMatchObject({ disabled: true });
        const config = field<Xds>(filter, "typedConfig");
        const clusterName = field<string>(config, "grpcService", "envoyGrpc", "clusterName");
        expect(config).toMatchObject({
          "@type":
            "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
          grpcService: { timeout: messageTimeout },
          messageTimeout,
          allowModeOverride: true,
          requestAttributes: ["xds.route_name"],
          metadataOptions: { receivingNamespaces: { untyped: [METADATA_NAMESPACE] } },
        });
        expect(field(config, "processingMode")).toEqual(SERVER_PROCESSING_MODE);
        // No fail-open: a request the server could not translate must not reach a provider.
        expect(field(config, "failureModeAllow") ?? false).toBe(false);
        // The ext_proc server's address from the generated Backend, over HTTP/2 in clear text.
        const extProcBackend = result.backends?.find(
          b =>
            b.metadata.namespace === route.namespace &&
            b.metadata.name === field(extProc, "backendRefs", 0, "name"),
        );
        const address = field<{ hostname: string; port: number }>(
          extProcBackend,
          "spec",
          "endpoints",
          0,
          "fqdn",
        );
        expect(endpoints.get(String(clusterName))).toEqual([
          `${address?.hostname}:${address?.port}`,
        ]);
        expect(
          field(clusters.get(String(clusterName)), "typedExtensionProtocolOptions"),
        ).toMatchObject({
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            explicitHttpConfig: { http2ProtocolOptions: expect.anything() },
          },
        });
      }
      const envoyRoutes = hosts.flatMap(host => host.routes);
      const enabledOn = envoyRoutes.filter(r => field(r, "typedPerFilterConfig", filterName));
      const ours = envoyRoutes.filter(ourEnvoyRoute(route));
      expect(ours.length).toBe(field<unknown[]>(route.httpRoute, "spec", "rules")?.length);
      expect(enabledOn.map(r => r.name)).toEqual(ours.map(r => r.name));
    }
  });

  it("names the Envoy routes so that the ext_proc server finds the route", () => {
    for (const route of routes) {
      const names = virtualHostsOf(result)
        .flatMap(host => host.routes)
        .filter(ourEnvoyRoute(route))
        .map(r => String(r.name));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names)
        expect({ name, key: routeKeyOfXdsRouteName(name) }).toEqual({
          name,
          key: { namespace: route.namespace, name: route.name },
        });
    }
  });

  it("routes each backend the server may select to that backend, with the Host rewritten", () => {
    const endpoints = endpointsOf(result);
    for (const route of routes) {
      const ids = [...new Set(route.document.rules.flatMap(r => r.backends.map(b => b.id)))];
      const rules =
        field<Array<{ timeouts?: { request?: string; backendRequest?: string } }>>(
          route.httpRoute,
          "spec",
          "rules",
        ) ?? [];
      for (const host of virtualHostsOf(result)) {
        const ours = host.routes.filter(ourEnvoyRoute(route));
        if (ours.length === 0) continue;
        for (const backend of route.document.rules.flatMap(r => r.backends)) {
          const matching = ours.filter(r =>
            field<Xds[]>(r, "match", "headers")?.some(
              h =>
                h.name === SELECTED_BACKEND_HEADER &&
                field(h, "stringMatch", "exact") === backend.id,
            ),
          );
          expect({ host: host.name, backend: backend.id, routes: matching.length }).toEqual({
            host: host.name,
            backend: backend.id,
            routes: 1,
          });
          const [envoyRoute] = matching;
          const ruleIndex = ids.indexOf(backend.id);
          const cluster = `httproute/${route.namespace}/${route.name}/rule/${ruleIndex}`;
          expect(envoyRoute).toMatchObject({
            match: { prefix: "/" },
            route: {
              cluster,
              autoHostRewrite: true,
              // Envoy Gateway bounds the routed request by backendRequest when a rule sets one
              // (it has no retries to give a per-try timeout to), else by request.
              timeout: protoDuration(
                rules[ruleIndex]?.timeouts?.backendRequest ??
                  rules[ruleIndex]?.timeouts?.request ??
                  "",
              ),
            },
          });
          // The server signs for, and Envoy sends to, the same host and port.
          expect(endpoints.get(cluster)).toEqual([
            `${backend.endpoint?.hostname}:${backend.endpoint?.port}`,
          ]);
        }
      }
    }
  });

  it("answers 404 only after every backend route", () => {
    for (const route of routes) {
      for (const host of virtualHostsOf(result)) {
        const ours = host.routes.filter(ourEnvoyRoute(route));
        if (ours.length === 0) continue;
        const last = host.routes.at(-1);
        expect(ourEnvoyRoute(route)(last ?? {})).toBe(true);
        expect(last).toMatchObject({ match: { prefix: "/" }, directResponse: { status: 404 } });
        const body = field<string>(
          last,
          "directResponse",
          "bodyFormat",
          "textFormatSource",
          "inlineBytes",
        );
        expect(Buffer.from(body ?? "", "base64").toString("utf8")).toBe(NOT_FOUND_MESSAGE);
        expect(field(last, "match", "headers")).toBeUndefined();
        expect(host.routes.filter(r => field(r, "directResponse")).length).toBe(1);
      }
    }
  });

  it("buffers a request of 1 MiB and more for the ext_proc filter, on the route alone", () => {
    for (const route of routes) {
      const limit = bytesOfQuantity(
        String(field(route.trafficPolicy, "spec", "requestBuffer", "limit")),
      );
      expect(limit).toBeGreaterThanOrEqual(LARGE_REQUEST_BYTES);
      const extProcFilter = `${EXT_PROC_FILTER}/envoyextensionpolicy/${route.namespace}/${route.policy.metadata.name}/extproc/0`;
      for (const { listener, manager } of gatewayConnectionManagersOf(result)) {
        // The listener keeps Envoy Gateway's 32 KiB: what raises the limit is the buffer filter,
        // which sets the stream's limit to its own when the request starts. It must run before
        // the ext_proc filter buffers the body.
        expect(listener.perConnectionBufferLimitBytes).toBe(32768);
        const names = httpFiltersOf(manager).map(f => String(f.name));
        expect(names.indexOf(BUFFER_FILTER)).toBeGreaterThanOrEqual(0);
        expect(names.indexOf(BUFFER_FILTER)).toBeLessThan(names.indexOf(extProcFilter));
        expect(httpFiltersOf(manager).find(f => f.name === BUFFER_FILTER)).toMatchObject({
          disabled: true,
        });
      }
      // On every Envoy route of the HTTPRoute, the 404 included: a request's first match is the
      // 404 (the server has not chosen a backend yet), and that is where the filter reads its limit.
      const ours = virtualHostsOf(result)
        .flatMap(host => host.routes)
        .filter(ourEnvoyRoute(route));
      expect(ours.length).toBeGreaterThan(0);
      for (const envoyRoute of ours)
        expect(field(envoyRoute, "typedPerFilterConfig", BUFFER_FILTER)).toEqual({
          "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
          buffer: { maxRequestBytes: limit },
        });
    }
  });
});

describe("the README's ClientTrafficPolicy, for long answers", () => {
  it("raises the Gateway listener's buffer limit, where Envoy buffers answers", () => {
    const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map(match => match[1])
      .find(yaml => yaml.includes("kind: ClientTrafficPolicy"));
    if (!block) throw new Error("README.md has no ClientTrafficPolicy in a yaml block");
    const limit = bytesOfQuantity(
      String(field(objectsOf(block)[0], "spec", "connection", "bufferLimit")),
    );
    const example = readFileSync(join(EXAMPLES, "fallback.yaml"), "utf8");
    const golden = readFileSync(join(GOLDEN, "fallback.yaml"), "utf8");
    const result = egctlTranslate(egctl, translationInput(`${example}\n---\n${block}`, golden));
    expect(result.clientTrafficPolicies?.[0]?.status?.ancestors?.[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: "Accepted", status: "True" }),
    );
    const listeners = gatewayConnectionManagersOf(result).map(({ listener }) => listener);
    expect(listeners.length).toBeGreaterThan(0);
    for (const listener of listeners) expect(listener.perConnectionBufferLimitBytes).toBe(limit);
  });
});
