// Text from evidence, histories and people reaches terminals: an auditor's `audit show`, an operator's
// CLI. A terminal obeys control characters in what it prints, so a reason typed as ESC sequences could
// clear the screen, rewrite the lines above it or set the window title, and bidi overrides reorder
// what is shown (`evil.sh\u202E\u2066fdp.` reads as a PDF). These characters are shown as visible
// escapes when printed, and refused where people type free text (client/request.ts).

/**
 * C0 controls but tab and line feed, DEL, C1 controls (U+0080–U+009F: some terminals read U+009B as
 * CSI) and the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

const escape = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** The text with every unsafe character replaced by a visible escape such as `\u{1b}`. */
export function safeForTerminal(text: string): string {
  return text.replace(UNSAFE, escape);
}

/**
 * The first unsafe character of `text`, named for an error message (`U+001B`), or undefined when
 * there is none: free text a person types must not carry them into histories, Slack and evidence.
 */
export function unsafeCharacterIn(text: string): { index: number; codePoint: string } | undefined {
  const m = new RegExp(UNSAFE.source, 'u').exec(text);
  return m ? { index: m.index, codePoint: `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` } : undefined;
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL, C1 and bidi characters as
 * they are. Outside strings JSON is ASCII, so `\uXXXX` in their place means the same value.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
