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

/** One row per backend of each rule of each route, in the order requests are matched. */
export function routeTable(routes: readonly RouteConfig[]): string {
  const rows: string[][] = routes.flatMap(route =>
    route.rules.flatMap(rule => {
      const models = modelsOf(rule);
      if (rule.backends.length === 0) return [[models, "(no backend can serve)", "", "", ""]];
      return rule.backends.map(backend => [
        models,
        backend.id,
        backend.schema.name,
        backend.endpoint
          ? `${backend.endpoint.tls ? "https" : "http"}://${backend.endpoint.hostname}:${backend.endpoint.port}`
          : "(from its credentials)",
        String(backend.priority),
      ]);
    }),
  );
  const table = [[...HEADINGS], ...rows];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map(row => row[column].length)));
  return table
    .map(row =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
