// Authenticates an AWS request as AWS would before any service sees it: a signature must be
// present, name a key that exists and is Active, carry that key's session token, match the key's
// secret and be fresh. moto (with its authentication off, the default) accepts any of these, and
// even with it on accepts Inactive keys, so the gateway runs this on every call.

import type { AuthRefusal } from './auth-refusal';
import type { KeyLookup, MotoKey } from './moto-directory';
import { verifySigV4 } from './sigv4-verify';
import type { ReceivedRequest, SigV4Verdict, VerifyOptions } from './sigv4-verify';

export interface KeyDirectory {
  lookup(accessKeyId: string): Promise<KeyLookup>;
}

export type Authentication = { ok: true; key: MotoKey } | { ok: false; reason: AuthRefusal };

const REFUSAL_OF: Record<Exclude<SigV4Verdict, 'ok'>, AuthRefusal> = {
  malformed: 'malformed',
  mismatch: 'bad-signature',
  'bad-token': 'bad-token',
  expired: 'expired',
  'not-yet-valid': 'not-yet-valid',
  'payload-mismatch': 'payload-mismatch',
};

/**
 * @param accessKeyId the key id from the request's credential scope (header or presigned URL),
 *   undefined when none could be read.
 */
export async function authenticateRequest(
  req: ReceivedRequest,
  accessKeyId: string | undefined,
  directory: KeyDirectory,
  opts: VerifyOptions = {},
): Promise<Authentication> {
  if (accessKeyId === undefined) return { ok: false, reason: triedToSign(req) ? 'malformed' : 'missing' };
  const found = await directory.lookup(accessKeyId);
  if (found.state !== 'active') return { ok: false, reason: 'unknown-key' };
  const verdict = await verifySigV4(req, found.key, opts);
  return verdict === 'ok' ? { ok: true, key: found.key } : { ok: false, reason: REFUSAL_OF[verdict] };
}

function triedToSign(req: ReceivedRequest): boolean {
  if (req.headers['authorization'] !== undefined) return true;
  return /[?&]X-Amz-(Algorithm|Credential|Signature)=/.test(req.url);
}
