// The table every benchmark reports into, and small measurement helpers.

/** One line of the printed table. `met: null` marks an informational row. */
export interface Row {
  benchmark: string;
  ours: string;
  comparison: string;
  ratio: string;
  target: string;
  met: boolean | null;
  /** Raw numbers for results.json. */
  data?: Record<string, unknown>;
}

/** What a benchmark module answers: its rows and its footnotes. */
export interface Section {
  name: string;
  rows: Row[];
  notes: string[];
}

/** Formats milliseconds as seconds with three decimals. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Formats a ratio with three decimals. */
export function ratio(a: number, b: number): string {
  return b === 0 ? "—" : `${(a / b).toFixed(3)}`;
}

/** Formats an operations-per-second figure. */
export function perSecond(n: number): string {
  return `${Math.round(n).toLocaleString("en-US")}/s`;
}

/** Formats a byte count in KB (1,024 bytes) with one decimal. */
export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** Renders rows as one markdown table, `MISSED` beside every missed target. */
export function markdownTable(rows: readonly Row[]): string {
  const header = ["benchmark", "ours", "comparison", "ratio", "target", "met"];
  const lines = rows.map((r) =>
    [
      r.benchmark,
      r.ours,
      r.comparison,
      r.ratio,
      r.target,
      r.met === null ? "info" : r.met ? "yes" : "MISSED",
    ].map(escapeCell)
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i]!.length))
  );
  const fmt = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [
    fmt(header),
    "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |",
    ...lines.map(fmt),
  ].join("\n");
}
