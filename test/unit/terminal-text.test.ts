// Text from evidence, histories and people must not drive the terminal that prints it: control and
// bidi characters are shown as visible escapes (shared/terminal-text.ts).
import { jsonForTerminal, safeForTerminal, unsafeCharacterIn } from '../../shared/terminal-text';

describe('safeForTerminal', () => {
  it('shows ESC sequences as visible escapes instead of passing them to the terminal', () => {
    expect(safeForTerminal('ok\x1b[2J\x1b]0;pwned\x07done')).toBe('ok\\u{1b}[2J\\u{1b}]0;pwned\\u{7}done');
  });

  it.each([
    ['NUL', '\0', '\\u{0}'],
    ['backspace', '\b', '\\u{8}'],
    ['vertical tab', '\v', '\\u{b}'],
    ['carriage return', '\r', '\\u{d}'],
    ['unit separator', '\x1f', '\\u{1f}'],
    ['DEL', '\x7f', '\\u{7f}'],
    ['C1 first', '\u0080', '\\u{80}'],
    ['C1 CSI', '\u009b', '\\u{9b}'],
    ['C1 last', '\u009f', '\\u{9f}'],
    ['LRE', '\u202a', '\\u{202a}'],
    ['RLO', '\u202e', '\\u{202e}'],
    ['LRI', '\u2066', '\\u{2066}'],
    ['PDI', '\u2069', '\\u{2069}'],
  ])('escapes %s', (_name, c, shown) => {
    expect(safeForTerminal(`a${c}b`)).toBe(`a${shown}b`);
  });

  it('keeps line feeds, tabs and ordinary text, accents and emoji included', () => {
    const text = 'line one\n\tindented: café, Zürich, 日本, ✅, U+00A0:\u00a0, ZWJ:\u200d';
    expect(safeForTerminal(text)).toBe(text);
  });

  it('leaves the characters just outside the ranges alone', () => {
    for (const c of ['\u00a0', '\u2029', '\u202f', '\u2065', '\u206a']) expect(safeForTerminal(c)).toBe(c);
  });
});

describe('unsafeCharacterIn', () => {
  it('names the first unsafe character and where it is', () => {
    expect(unsafeCharacterIn('fix\u202eexe.pdf \x1b')).toEqual({ index: 3, codePoint: 'U+202E' });
    expect(unsafeCharacterIn('db down\x1b[31m')).toEqual({ index: 7, codePoint: 'U+001B' });
  });

  it('finds nothing in plain multi-line text', () => {
    expect(unsafeCharacterIn('orders database is down\n\tsee INC-42')).toBeUndefined();
  });

  it('is the same on every call (no regex state carried over)', () => {
    for (let i = 0; i < 3; i++) expect(unsafeCharacterIn('a\x07')).toEqual({ index: 1, codePoint: 'U+0007' });
  });
});

describe('jsonForTerminal', () => {
  it('escapes DEL, C1 and bidi characters that JSON.stringify leaves raw, and means the same value', () => {
    const value = { why: 'a\u009b31mb\u202ec\x7f', esc: '\x1b' };
    const json = jsonForTerminal(value);
    expect(json).toBe('{"why":"a\\u009b31mb\\u202ec\\u007f","esc":"\\u001b"}');
    expect(unsafeCharacterIn(json)).toBeUndefined();
    expect(JSON.parse(json)).toEqual(value);
  });
});
