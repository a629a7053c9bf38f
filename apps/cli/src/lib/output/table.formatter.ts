export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | undefined;
}

// C0 and C1 controls (ESC starts terminal escape sequences): a device label or
// reason is whatever someone registered, and must not repaint the operator's terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from the service, safe to print on a terminal. */
export const printable = (text: string): string => text.replace(CONTROL, '\uFFFD');

/** A plain-text table: a header row, columns padded to their widest cell, two spaces apart. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => printable(column.value(row) ?? '')));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] as string).length)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines, keys aligned. */
export function renderFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const present = fields.filter((field): field is readonly [string, string] => field[1] !== undefined && field[1] !== '');
  const width = Math.max(0, ...present.map(([key]) => key.length));
  return present.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${printable(value)}`).join('\n') + '\n';
}
