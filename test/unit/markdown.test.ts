// One Markdown escaper for every report (reports/markdown.ts): what someone typed into a reason, a
// role name or a customer's table is shown as typed, never rendered as a link, an image (a beacon
// fetched when the report is opened), HTML or emphasis, and never breaks a table.
import { mdCell, mdTable } from '../../reports/markdown';

/** What a CommonMark viewer shows for an escaped cell: backslash escapes, entities and <br> undone. */
function shown(cell: string): string {
  return cell
    .replace(/<br>/g, '\n')
    .replace(/\\([\\|*_~`[\]!])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const HOSTILE = [
  '![beacon](https://evil.example/pixel.png)',
  '[click me](https://evil.example/login)',
  '[ref][1]\n\n[1]: https://evil.example/pixel.png',
  '![ref image][1]',
  '<https://evil.example/autolink>',
  '<img src="https://evil.example/p" onerror=alert(1)>',
  '&#60;img src=x&#62; and &lt;b&gt;',
  '\\![escaped?](https://evil.example/p.png)',
  '**bold** __bold__ *em* _em_ ~~struck~~ `code`',
  'a | b | c',
  'line one\r\nline two\rline three\nfour',
];

describe('mdCell', () => {
  it('escapes | * _ [ ] ! ~ ` and backslash, makes & < > entities and line breaks <br>', () => {
    expect(mdCell('|*_[]!~`\\&<>')).toBe('\\|\\*\\_\\[\\]\\!\\~\\`\\\\&amp;&lt;&gt;');
    expect(mdCell('a\r\nb\rc\nd')).toBe('a<br>b<br>c<br>d');
    expect(mdCell('plain text, 2026-01-01T00:00:00Z (seq 3)')).toBe('plain text, 2026-01-01T00:00:00Z (seq 3)');
  });

  it.each(HOSTILE)('renders %j as the text it is', (text) => {
    const cell = mdCell(text);
    // No link or image can open: every [ ] ! is escaped, and no backslash is left to undo an escape.
    expect(cell).not.toMatch(/(^|[^\\])(\\\\)*[[\]!]/);
    // No HTML but the line breaks it adds, and no entity but the ones it writes.
    expect(cell.replace(/<br>/g, '')).not.toMatch(/[<>]/);
    expect(cell).not.toMatch(/&(?!amp;|lt;|gt;)/);
    // No unescaped pipe (a new cell) and no line break (a new row).
    expect(cell).not.toMatch(/(^|[^\\])(\\\\)*\|/);
    expect(cell).not.toMatch(/[\r\n]/);
    expect(shown(cell)).toBe(text.replace(/\r\n|\r/g, '\n'));
  });
});

describe('mdTable', () => {
  it('escapes the header and every cell, one row per line with as many cells as the header', () => {
    const lines = mdTable(['reason', 'by'], HOSTILE.map((h) => [h, 'bob']));
    expect(lines).toHaveLength(HOSTILE.length + 2);
    expect(lines[1]).toBe('| --- | --- |');
    const cells = (l: string): number => l.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
    for (const l of lines) expect(cells(l)).toBe(cells(lines[0]!));
  });
});
