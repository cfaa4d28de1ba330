/** A column of a table: a header and how to read a cell from a row. */
export interface Column {
  header: string;
  value: (row: Record<string, unknown>) => unknown;
}

/** Where command output goes (stdout for results, stderr for progress), so tests can capture it. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  json: boolean;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/\s+/g, ' ');
}

/** Renders rows as an aligned plain-text table (no colours: it is read by people and by grep). */
export function renderTable(rows: readonly Record<string, unknown>[], columns: readonly Column[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => Math.min(r[i]!.length, 60))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (v.length > 60 ? `${v.slice(0, 59)}…` : v).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const body = cells.map(line);
  return [line(columns.map((c) => c.header.toUpperCase())), ...body].join('\n');
}

/** Prints a list: JSON with `--json`, else a table (or a note when empty). */
export function printList(
  output: Output,
  rows: readonly Record<string, unknown>[],
  columns: readonly Column[],
  empty: string,
): void {
  if (output.json) output.out(JSON.stringify(rows, null, 2));
  else output.out(rows.length === 0 ? empty : renderTable(rows, columns));
}

/** Prints one object: JSON with `--json`, else `key: value` lines of the chosen fields. */
export function printObject(output: Output, value: unknown, fields?: readonly string[]): void {
  if (output.json || typeof value !== 'object' || value === null) {
    output.out(JSON.stringify(value, null, 2));
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = fields ?? Object.keys(record);
  const width = Math.max(...keys.map((k) => k.length));
  output.out(keys.map((k) => `${`${k}:`.padEnd(width + 1)} ${cell(record[k])}`).join('\n'));
}

/** A column reading one field by name. */
export const col = (header: string, field = header): Column => ({ header, value: (row) => row[field] });
