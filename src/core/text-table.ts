/**
 * A plain-text table for terminals and attachments: columns padded to their widest cell, two
 * spaces apart, no trailing blanks. One place, so every table hil prints lines up the same way.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], opts: { rule?: boolean } = {}): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, c) => (cells[c] ?? '').padEnd(w))
      .join('  ')
      .trimEnd();
  return [line(header), ...(opts.rule ? [line(widths.map((w) => '-'.repeat(w)))] : []), ...rows.map(line)];
}
