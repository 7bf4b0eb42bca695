// Caller authentication for the api: presigned sts:GetCallerIdentity (see docs/api-auth.md).

export { CallerIdentityVerifier } from './caller-identity';
export type { CallerIdentity, CallerIdentityVerifierOptions } from './caller-identity';
export { AuthError } from './errors';
export type { AuthErrorCode } from './errors';
export { AUTH_HEADER, REQUEST_HEADER, SERVER_ID_HEADER, decodeAuthHeader, encodeAuthHeader, requestBinding } from './signed-request';
export type { BoundRequest, SignedCallerIdentityRequest } from './signed-request';
export { RequestBodies } from './request-body';
