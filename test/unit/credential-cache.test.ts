// `safeguard creds` reuses the last credentials of a grant while they have time left, from an
// owner-only file, so the AWS CLI's credential_process does not mint a set per command.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REUSE_MARGIN_MS, credentialCacheDir, readCachedCredentials, writeCachedCredentials } from '../../cli/credential-cache';

const GRANT = 'breakglass-BreakGlassAdmin-0123abcd';
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const creds = (expiresInMs: number) => ({
  Version: 1 as const,
  AccessKeyId: 'ASIAEXAMPLE000000001',
  SecretAccessKey: 'not-a-real-secret-but-forty-characters-00',
  SessionToken: 'token',
  Expiration: new Date(NOW + expiresInMs).toISOString(),
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-creds-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('reuses a cached set while it has more than the margin left, per grant and caller', () => {
  writeCachedCredentials(dir, GRANT, 'alice', creds(30 * 60_000));
  expect(readCachedCredentials(dir, GRANT, 'alice', NOW)?.AccessKeyId).toBe('ASIAEXAMPLE000000001');
  expect(readCachedCredentials(dir, GRANT, 'dave', NOW)).toBeUndefined();
  expect(readCachedCredentials(dir, 'breakglass-BreakGlassAdmin-ffffffff', 'alice', NOW)).toBeUndefined();
});

test('does not reuse a set about to expire', () => {
  writeCachedCredentials(dir, GRANT, 'alice', creds(REUSE_MARGIN_MS - 1));
  expect(readCachedCredentials(dir, GRANT, 'alice', NOW)).toBeUndefined();
});

test('writes owner-only files and ignores one that others can read', () => {
  writeCachedCredentials(dir, GRANT, 'alice', creds(30 * 60_000));
  const [file] = fs.readdirSync(dir);
  const full = path.join(dir, file!);
  expect(fs.statSync(full).mode & 0o777).toBe(0o600);
  fs.chmodSync(full, 0o644);
  expect(readCachedCredentials(dir, GRANT, 'alice', NOW)).toBeUndefined();
});

test('ignores garbage and keeps file names safe', () => {
  fs.writeFileSync(path.join(dir, `${GRANT}.alice.json`), '{not json', { mode: 0o600 });
  expect(readCachedCredentials(dir, GRANT, 'alice', NOW)).toBeUndefined();
  const outside = fs.readdirSync(path.dirname(dir)).length;
  writeCachedCredentials(dir, GRANT, '../../x/y', creds(30 * 60_000));
  // The file lands in the cache directory, whatever the caller name holds.
  expect(fs.readdirSync(dir)).toContain(`${GRANT}.______x_y.json`);
  expect(fs.readdirSync(path.dirname(dir)).length).toBe(outside);
});

test('lives under XDG_CACHE_HOME when set', () => {
  expect(credentialCacheDir({ XDG_CACHE_HOME: '/tmp/x' })).toBe('/tmp/x/safeguard/credentials');
});
