/** The short table `run` prints at startup and on reload: which models go to which backend. */
import { MODEL_HEADER } from "../api/v1alpha1";
import type { RouteConfig } from "../contract/route-config";

const HEADINGS = ["MODEL", "BACKEND", "SCHEMA", "ENDPOINT", "PRIORITY"] as const;

/** A rule's models: exact names as they are, patterns as `/pattern/`, no match as `*`. */
function modelsOf(rule: RouteConfig["rules"][number]): string {
  const names = rule.matches.flatMap(match =>
    match.headers
      .filter(header => header.name.toLowerCase() === MODEL_HEADER)
      .map(header => (header.type === "Exact" ? header.value : `/${header.value}/`)),
  );
  return names.length > 0 ? names.join(", ") : "*";
}

/**
 * One row per backend of each rule of each route, in the order requests are matched; with the
 * hosts each route serves first when a route names any.
 */
export function routeTable(routes: readonly RouteConfig[]): string {
  const withHosts = routes.some(route => route.hostnames.length > 0);
  const headings = withHosts ? ["HOST", ...HEADINGS] : [...HEADINGS];
  const table = [headings, ...routes.flatMap(route => rowsOf(route, withHosts))];
  const widths = headings.map((_, column) => Math.max(...table.map(row => row[column].length)));
  return table
    .map(row =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function rowsOf(route: RouteConfig, withHosts: boolean): string[][] {
  const hosts = withHosts ? [route.hostnames.length > 0 ? route.hostnames.join(", ") : "*"] : [];
  return route.rules.flatMap(rule => {
    const models = modelsOf(rule);
    if (rule.backends.length === 0)
      return [[...hosts, models, "(no backend can serve)", "", "", ""]];
    return rule.backends.map(backend => [
      ...hosts,
      models,
      backend.id,
      backend.schema.name,
      backend.endpoint
        ? `${backend.endpoint.tls ? "https" : "http"}://${backend.endpoint.hostname}:${backend.endpoint.port}`
        : "(from its credentials)",
      String(backend.priority),
    ]);
  });
}
