// An AWS console sign-in link for a grant, through the federation endpoint (getSigninToken, then a
// login URL). The link is as sensitive as the credentials behind it: it goes only to the caller.
import type { ProcessCredentials } from '../client/vending';
import { ApiError } from './http';

export interface ConsoleLinkOptions {
  /** https://signin.aws.amazon.com/federation in production; the sandbox gateway serves one. */
  federationUrl: string;
  destination?: string;
  issuer?: string;
  fetch?: typeof fetch;
}

export async function consoleLink(creds: ProcessCredentials, opts: ConsoleLinkOptions): Promise<{ url: string; expiresAt: string }> {
  const session = JSON.stringify({ sessionId: creds.AccessKeyId, sessionKey: creds.SecretAccessKey, sessionToken: creds.SessionToken });
  const tokenUrl = `${opts.federationUrl}?Action=getSigninToken&Session=${encodeURIComponent(session)}`;
  const res = await (opts.fetch ?? fetch)(tokenUrl);
  if (!res.ok) throw new ApiError(502, 'FEDERATION_FAILED', `federation endpoint answered ${res.status}`);
  const body = (await res.json()) as { SigninToken?: unknown };
  if (typeof body.SigninToken !== 'string') throw new ApiError(502, 'FEDERATION_FAILED', 'federation endpoint returned no sign-in token');
  const url =
    `${opts.federationUrl}?Action=login&Issuer=${encodeURIComponent(opts.issuer ?? 'safeguard')}` +
    `&Destination=${encodeURIComponent(opts.destination ?? 'https://console.aws.amazon.com/')}&SigninToken=${encodeURIComponent(body.SigninToken)}`;
  // A sign-in token is valid for 15 minutes.
  return { url, expiresAt: new Date(Math.min(Date.parse(creds.Expiration), Date.now() + 15 * 60_000)).toISOString() };
}
