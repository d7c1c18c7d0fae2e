// table.ts — plain-text tables for the terminal: columns padded to their widest cell, numbers
// right-aligned.

/**
 * Formats rows as aligned columns under a header and a rule.
 * @param header column titles
 * @param rows cells (strings); a row shorter than the header is padded with empty cells
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (!Array.isArray(header) || header.length === 0) throw new TypeError('formatTable: header must be a non-empty array of strings');
  const n = header.length;
  const cells = [header, ...rows].map((r) => Array.from({ length: n }, (_, i) => String(r[i] ?? '')));
  const width = Array.from({ length: n }, (_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
  const numeric = (s: string) => /^[-+]?[0-9.]+/.test(s);
  const line = (r: string[]) =>
    r.map((c, i) => (i > 0 && numeric(c) ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(cells[0]), width.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
