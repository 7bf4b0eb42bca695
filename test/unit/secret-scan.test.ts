import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { base64Variants, formatFindings, scanFiles, scanForSecrets } from '../support/secret-scan';

const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
const KNOWN = ['Zx9', 'mQ2pL7vR4tY8nB1cK6dF3hJ0', 'sW5'].join('');
const MOTO_TOKEN = `FQoGZXIvYXdzE${'BYaDHhBTEXAMPLEtOkEn0123456789abcdef'.repeat(3)}`;
const SLACK_BOT = ['xoxb', '1234567890', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');

/** A Temporal-style history event: the payload is base64 of JSON. */
function historyWith(value: unknown, prefix = ''): string {
  const data = Buffer.from(prefix + JSON.stringify(value)).toString('base64');
  return JSON.stringify({ events: [{ eventId: '5', activityTaskCompletedEventAttributes: { result: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data }] } } }] });
}

describe('scanForSecrets: known secrets', () => {
  it('finds a known secret verbatim', () => {
    const text = `log line ... user secret ${KNOWN} end`;
    const findings = scanForSecrets(text, { known: [KNOWN] });
    expect(findings).toEqual([{ kind: 'known-secret', excerpt: 'Zx9m…', index: text.indexOf(KNOWN), form: 'raw' }]);
  });

  it.each([0, 1, 2])('finds a known secret in base64 at byte alignment %i', (shift) => {
    const text = Buffer.from(`${'p'.repeat(shift)}{"SecretAccessKey":"${KNOWN}"}`).toString('base64');
    const findings = scanForSecrets(text, { known: [KNOWN], decodeBase64: false });
    expect(findings.filter((f) => f.kind === 'known-secret' && f.form === 'base64')).toHaveLength(1);
  });

  it('finds a known secret inside a Temporal payload in a history', () => {
    for (const prefix of ['', 'a', 'ab']) {
      const findings = scanForSecrets(historyWith({ creds: { secret: KNOWN } }, prefix), { known: [KNOWN] });
      expect(findings.some((f) => f.kind === 'known-secret')).toBe(true);
    }
  });

  it('finds a known secret in url-safe base64 and JSON-escaped forms', () => {
    const secret = 'ab"cd\\ef/gh+ij?>~';
    const url = Buffer.from(`xx${secret}yy`).toString('base64url');
    expect(scanForSecrets(url, { known: [secret], decodeBase64: false }).length).toBeGreaterThan(0);
    expect(scanForSecrets(JSON.stringify({ s: secret }), { known: [secret] })).toContainEqual(
      expect.objectContaining({ kind: 'known-secret', form: 'json-escaped' }),
    );
  });

  it('base64Variants yields the stable inner part for each alignment', () => {
    const v = base64Variants('0123456789');
    expect(v).toHaveLength(3);
    for (const shift of ['', 'x', 'xy']) {
      const enc = Buffer.from(`${shift}0123456789zz`).toString('base64');
      expect(v.some((part) => enc.includes(part))).toBe(true);
    }
  });

  it('refuses known secrets too short to search for meaningfully', () => {
    expect(() => scanForSecrets('text', { known: ['abc'] })).toThrow(/at least 8/);
  });

  it('never puts more than four characters of a secret in a finding', () => {
    const findings = scanForSecrets(`${KNOWN} ${AWS_SECRET} ${MOTO_TOKEN} ${SLACK_BOT}`, { known: [KNOWN] });
    expect(findings.length).toBeGreaterThanOrEqual(4);
    for (const f of findings) expect(f.excerpt).toMatch(/^.{4}…$/u);
    expect(formatFindings(findings)).not.toContain(KNOWN.slice(0, 8));
  });
});

describe('scanForSecrets: shapes', () => {
  it('finds AWS secret keys, session tokens and Slack tokens in raw text', () => {
    const kinds = scanForSecrets(`{"k":"${AWS_SECRET}","t":"${MOTO_TOKEN}","s":"${SLACK_BOT}"}`).map((f) => f.kind);
    expect(kinds).toEqual(['aws-secret-key', 'session-token', 'slack-token']);
  });

  it('finds shapes inside base64 payloads of a history', () => {
    const findings = scanForSecrets(historyWith({ Credentials: { SecretAccessKey: AWS_SECRET, SessionToken: MOTO_TOKEN } }));
    expect(findings.map((f) => f.kind).sort()).toEqual(['aws-secret-key', 'session-token']);
    expect(findings.every((f) => f.form === 'in-base64')).toBe(true);
  });

  it('does not flag ARNs, workflow ids, hashes, UUIDs, dates or ordinary payloads', () => {
    const text = [
      'arn:aws:iam::123456789012:role/breakglass/BreakGlassAdminProd2024',
      'breakglass-BreakGlassAdmin-ab12cd34',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      '123e4567-e89b-12d3-a456-426614174000',
      '2026-11-27T22:14:28.123Z',
      'AKIAIOSFODNN7EXAMPLE',
      historyWith({ workflowId: 'breakglass-BreakGlassAdmin-ab12cd34', role: 'arn:aws:iam::123456789012:role/BreakGlassAdmin', requester: 'alice', expiresAt: '2026-11-27T23:14:28.123Z', note: 'x'.repeat(300) }),
      // An encrypted payload: long base64 of random bytes.
      JSON.stringify({ data: Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 7919) % 251)).toString('base64') }),
    ].join('\n');
    expect(scanForSecrets(text, { known: [KNOWN] })).toEqual([]);
  });
});

describe('scanFiles', () => {
  it('reports findings per file and fails on a missing file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scan-'));
    try {
      const clean = path.join(dir, 'clean.log');
      const dirty = path.join(dir, 'dirty.jsonl');
      await fs.writeFile(clean, '{"msg":"granted","role":"BreakGlassAdmin"}\n');
      await fs.writeFile(dirty, `{"msg":"oops","detail":"${KNOWN}"}\n`);
      const findings = await scanFiles([clean, dirty], { known: [KNOWN] });
      expect(findings).toEqual([expect.objectContaining({ file: dirty, kind: 'known-secret' })]);
      await expect(scanFiles([path.join(dir, 'nope')], {})).rejects.toThrow(/ENOENT/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
