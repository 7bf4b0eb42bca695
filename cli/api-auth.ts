// Client side of the api's caller authentication: a SigV4-signed (but not sent) POST of
// sts:GetCallerIdentity, bound to one Safeguard api by the signed `x-safeguard-server-id` header and
// to one api request by the signed `x-safeguard-request` header, carried to the api in the
// `X-Safeguard-Auth` header. The api forwards it to STS, which says who signed it. See
// docs/api-auth.md for the threat model.

import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { Sha256 } from '../api/auth/sha256';
import { FORM_CONTENT_TYPE, GET_CALLER_IDENTITY_BODY, REQUEST_HEADER, SERVER_ID_HEADER, requestBinding } from '../api/auth/signed-request';
import type { BoundRequest, SignedCallerIdentityRequest } from '../api/auth/signed-request';

export { AUTH_HEADER, decodeAuthHeader, encodeAuthHeader } from '../api/auth/signed-request';
export type { BoundRequest, SignedCallerIdentityRequest } from '../api/auth/signed-request';

export interface SignCallerIdentityOptions {
  credentials: AwsCredentialIdentity;
  /** Signing region, e.g. us-east-1 (must be the region of `stsEndpoint`). */
  region: string;
  /** e.g. https://sts.us-east-1.amazonaws.com, or the sandbox endpoint. */
  stsEndpoint: string;
  /** The api's server id (bound into the signature). */
  serverId: string;
  /**
   * The one api request this identity is for: method, path with query exactly as sent, and the exact
   * body (empty string when none). The api refuses the header with any other request.
   */
  request: BoundRequest;
  /** Signing time; default now. */
  now?: Date;
}

export async function signCallerIdentityRequest(opts: SignCallerIdentityOptions): Promise<SignedCallerIdentityRequest> {
  let endpoint: URL;
  try {
    endpoint = new URL(opts.stsEndpoint);
  } catch {
    throw new Error(`stsEndpoint is not a URL: ${opts.stsEndpoint}`);
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') throw new Error(`stsEndpoint must be http(s): ${opts.stsEndpoint}`);
  if (opts.serverId.trim() === '') throw new Error('serverId must not be empty');
  const binding = requestBinding(opts.request);
  const url = new URL('/', endpoint);
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: 'sts',
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      path: '/',
      query: {},
      headers: {
        'content-type': FORM_CONTENT_TYPE,
        host: url.host,
        [SERVER_ID_HEADER]: opts.serverId,
        [REQUEST_HEADER]: binding,
      },
      body: GET_CALLER_IDENTITY_BODY,
    },
    { signingDate: opts.now ?? new Date() },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: 'POST', url: url.toString(), headers, body: GET_CALLER_IDENTITY_BODY };
}
