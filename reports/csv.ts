// CSV for spreadsheets, shared by every report: RFC 4180 (fields with a comma, quote or line break are
// quoted, quotes doubled, CRLF line ends) and neutralised against formula injection, because these files
// are opened by auditors in Excel or Sheets, and a cell from evidence (a reason, a role name) is text
// someone outside typed.

/**
 * Where a spreadsheet may start a cell inside a value: at its start and, for Excel in locales whose
 * list separator is `;` (it ignores a quote that does not open the line's first field), after every
 * `;` and line break. Spaces before a formula do not stop Excel from running it (` =cmd`).
 */
const FORMULA_AT_CELL_START = /(^|[;\r\n])(?=[^\S\r\n]*[=+\-@])/g;

/** One cell: a value a spreadsheet would run as a formula gets a leading ', then RFC 4180 quoting. */
export function csvCell(value: string): string {
  // OWASP's CSV-injection set: = + - @ start a formula, and a leading tab or CR can hide one. In a
  // `;` locale `x;=cmd` is two cells, the second a formula, and quoting alone does not keep it whole
  // past the first column: the formula after the `;` gets its ' too.
  const safe = (/^[\t\r]/.test(value) ? `'${value}` : value).replace(FORMULA_AT_CELL_START, "$1'");
  return /[",;\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record: its cells joined by commas, no line end. */
export function csvRow(cells: readonly string[]): string {
  return cells.map(csvCell).join(',');
}

/** A whole file: the header, then one record per row, every line ended by CRLF. */
export function csvDocument(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((cells) => `${csvRow(cells)}\r\n`).join('');
}
