/** A Markdown table for benchmark results, so they paste as they print into a PR or report. */

export interface Column {
  header: string;
  /** Numbers read best right-aligned. Default left. */
  align?: "left" | "right";
}

/** The rows under the columns as a Markdown table; every row has one cell per column. */
export function markdownTable(columns: readonly Column[], rows: readonly string[][]): string {
  // A "|" inside a cell (an error message, say) would start a new column.
  const line = (cells: readonly string[]) =>
    `| ${cells.map(cell => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    line(columns.map(column => column.header)),
    `|${columns.map(column => (column.align === "right" ? "---:" : "---")).join("|")}|`,
    ...rows.map(row => {
      if (row.length !== columns.length) {
        throw new Error(`a table row has ${row.length} cells for ${columns.length} columns`);
      }
      return line(row);
    }),
  ].join("\n");
}
