// Readable tables for people (cli-table3); --json output never goes through here.
import Table from "cli-table3";

export type Cell = string | number | boolean | Date | null | undefined;

export function cell(value: Cell): string {
  if (value === null || value === undefined) return "-";
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function table(head: string[], rows: Cell[][]): string {
  if (rows.length === 0) return "(none)";
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(cell));
  return t.toString();
}

/** "key: value" lines for one record. */
export function keyValues(record: Record<string, Cell>): string {
  const width = Math.max(...Object.keys(record).map((key) => key.length));
  return Object.entries(record)
    .map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`)
    .join("\n");
}
