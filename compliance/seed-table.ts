// Parses the customer's HIPAA §164.312 document (compliance/hipaa-technical-safeguards.txt): a title,
// a preamble, then sections, each a heading line, a table and optional note lines. The tables are
// pipe tables with one cell per line: a row starts with a line beginning "| " and every cell ends
// with " |". The first row of each table is its header. Pure: no I/O.

export interface SeedRow {
  /** Stable within the document: `<section slug>/<first cell slug>`. */
  id: string;
  /** 1-based line of the row's first cell. */
  line: number;
  /** The customer's cells, as written. */
  cells: string[];
  /** The customer's own status cell (the column headed "Status"), when the table has one. */
  customerStatus: string | null;
}

export interface SeedSection {
  slug: string;
  heading: string;
  /** "§164.312(a)" when the heading names one. */
  ref: string | null;
  columns: string[];
  /** Index of the "Status" column, or null. */
  statusColumn: number | null;
  rows: SeedRow[];
  /** Lines after the table ("See Access Control Policy."). */
  notes: string[];
}

export interface SeedDocument {
  title: string;
  /** Lines before the first section ("HIPAA Rule: §164.312", the description). */
  preamble: string[];
  sections: SeedSection[];
}

export class SeedTableError extends Error {
  readonly code = 'SEED_TABLE_INVALID';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`compliance table, line ${line}: ${message}`);
    this.name = 'SeedTableError';
  }
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/§[\d.()a-z]+/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const isTableLine = (l: string): boolean => l.startsWith('|') || l.endsWith(' |') || l === '|';

interface Group {
  line: number;
  cells: string[];
}

/** One table's rows, from consecutive table lines. */
function tableRows(lines: { text: string; n: number }[]): Group[] {
  const rows: Group[] = [];
  for (const { text, n } of lines) {
    const starts = text.startsWith('| ') || text === '|';
    let cell = starts ? text.replace(/^\|\s?/, '') : text;
    if (!/\s\|$|^\|$/.test(text)) throw new SeedTableError(`a table cell must end with " |": "${text.slice(0, 80)}"`, n);
    cell = cell.replace(/\s?\|$/, '').trim();
    if (starts) rows.push({ line: n, cells: [cell] });
    else {
      const row = rows[rows.length - 1];
      if (!row) throw new SeedTableError('a table must start with a line beginning "| "', n);
      row.cells.push(cell);
    }
  }
  return rows;
}

export function parseSeedTable(text: string): SeedDocument {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((t, i) => ({ text: t.trim(), n: i + 1 }))
    .filter((l) => l.text !== '');
  const first = lines[0];
  if (!first || isTableLine(first.text)) throw new SeedTableError('the document must start with its title', first?.n ?? 1);
  const title = first.text;
  const preamble: string[] = [];
  const sections: SeedSection[] = [];
  let i = 1;
  // Plain lines until a table: the last one before it is the heading; earlier ones belong to the
  // preamble (before the first section) or to the previous section's notes.
  while (i < lines.length) {
    const plain: { text: string; n: number }[] = [];
    while (i < lines.length && !isTableLine(lines[i]!.text)) plain.push(lines[i++]!);
    const table: { text: string; n: number }[] = [];
    while (i < lines.length && isTableLine(lines[i]!.text)) table.push(lines[i++]!);
    if (table.length === 0) {
      const prev = sections[sections.length - 1];
      if (prev) prev.notes.push(...plain.map((p) => p.text));
      else preamble.push(...plain.map((p) => p.text));
      break;
    }
    const heading = plain.pop();
    if (!heading) throw new SeedTableError('a table without a heading line before it', table[0]!.n);
    const prev = sections[sections.length - 1];
    if (prev) prev.notes.push(...plain.map((p) => p.text));
    else preamble.push(...plain.map((p) => p.text));
    const [header, ...body] = tableRows(table);
    if (!header || header.cells.length < 2) throw new SeedTableError(`the table under "${heading.text}" needs a header of at least two columns`, table[0]!.n);
    const columns = header.cells;
    const statusIndex = columns.findIndex((c) => c.toLowerCase() === 'status');
    const sectionSlug = slug(heading.text);
    if (sections.some((s) => s.slug === sectionSlug)) throw new SeedTableError(`two sections are both called "${heading.text}"`, heading.n);
    const rows: SeedRow[] = [];
    for (const r of body) {
      if (r.cells.length !== columns.length) {
        throw new SeedTableError(`the row "${r.cells[0] ?? ''}" has ${r.cells.length} cells, its table ${columns.length} columns (${columns.join(', ')})`, r.line);
      }
      const id = `${sectionSlug}/${slug(r.cells[0]!)}`;
      if (rows.some((x) => x.id === id)) throw new SeedTableError(`two rows of "${heading.text}" are both called "${r.cells[0]!}"`, r.line);
      rows.push({ id, line: r.line, cells: r.cells, customerStatus: statusIndex >= 0 ? (r.cells[statusIndex] ?? null) : null });
    }
    const ref = /\((§[\d.]+(?:\([a-z0-9]+\))*)\)/.exec(heading.text)?.[1] ?? null;
    sections.push({ slug: sectionSlug, heading: heading.text, ref, columns, statusColumn: statusIndex >= 0 ? statusIndex : null, rows, notes: [] });
  }
  if (sections.length === 0) throw new SeedTableError('no table found', lines[lines.length - 1]?.n ?? 1);
  return { title, preamble, sections };
}
