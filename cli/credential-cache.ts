// `safeguard creds` is the AWS CLI's credential_process: the AWS CLI runs it for every command and
// keeps nothing between commands. Minting a new set each time would spend a grant's vending cap (40)
// in forty commands and grow its history, so the CLI keeps the last set for the grant on disk, owner-
// only, until shortly before it expires — as the AWS CLI does with SSO credentials in ~/.aws/cli/cache.
// Revocation does not depend on this file: the deny statement covers every token issued before the
// cut-off, cached or not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessCredentials } from '../client/vending';

/** A cached set is used only while it has at least this long left. */
export const REUSE_MARGIN_MS = 5 * 60_000;

export function credentialCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'safeguard', 'credentials');
}

/** One file per grant and caller; both are id-shaped, but keep the name safe whatever they are. */
function fileFor(dir: string, grantId: string, caller: string): string {
  const safe = (v: string): string => v.replace(/[^\w@-]/g, '_');
  return path.join(dir, `${safe(grantId)}.${safe(caller)}.json`);
}

export function readCachedCredentials(dir: string, grantId: string, caller: string, now = Date.now()): ProcessCredentials | undefined {
  const file = fileFor(dir, grantId, caller);
  try {
    const st = fs.statSync(file);
    // Someone else could have planted or read it: never trust a file group or others can touch.
    if ((st.mode & 0o077) !== 0 || (process.getuid && st.uid !== process.getuid())) return undefined;
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ProcessCredentials>;
    if (c.Version !== 1 || !c.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) return undefined;
    if (Date.parse(c.Expiration) - now < REUSE_MARGIN_MS) return undefined;
    return c as ProcessCredentials;
  } catch {
    return undefined;
  }
}

export function writeCachedCredentials(dir: string, grantId: string, caller: string, c: ProcessCredentials): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileFor(dir, grantId, caller);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(c), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
