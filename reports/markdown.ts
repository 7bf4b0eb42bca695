// Markdown for every report (the audit export, the compliance table, access-review reports): values
// from evidence, AWS and policy files are text someone else typed, and these files are read in
// Markdown viewers that render links, images and inline HTML.

/**
 * One table cell or line of text, shown as typed. A pipe would end the cell and a line break the
 * row; < > & would be HTML or an entity (`&#60;img…`); [ ] ! make a link or an image (an image is
 * fetched when the file is opened: a beacon); * _ ~ and the backtick are emphasis, strikethrough and
 * code; and a backslash would undo the escape after it.
 */
export function mdCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\|*_~`[\]!]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** A table: the header and every cell escaped, one row per line. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.map(mdCell).join(' | ')} |`, `|${header.map(() => ' --- |').join('')}`, ...rows.map((cells) => `| ${cells.map(mdCell).join(' | ')} |`)];
}
