// Caller authentication for the api: presigned sts:GetCallerIdentity (see docs/api-auth.md).

export { CallerIdentityVerifier } from './caller-identity';
export type { CallerIdentity, CallerIdentityVerifierOptions } from './caller-identity';
export { AuthError } from './errors';
export type { AuthErrorCode } from './errors';
export { AUTH_HEADER, SERVER_ID_HEADER, decodeAuthHeader, encodeAuthHeader } from './signed-request';
export type { SignedCallerIdentityRequest } from './signed-request';
