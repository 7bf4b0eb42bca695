// Errors of the api's caller authentication. Messages are safe to show to the caller and to log:
// they never contain a signature, a session token or a secret.

export type AuthErrorCode =
  | 'AUTH_MISSING'
  | 'AUTH_MALFORMED'
  | 'AUTH_WRONG_HOST'
  | 'AUTH_WRONG_ACTION'
  | 'AUTH_UNSIGNED_HEADER'
  | 'AUTH_WRONG_SERVER'
  /** The signed `x-safeguard-request` names another method, path or body than the request it came with. */
  | 'AUTH_WRONG_REQUEST'
  | 'AUTH_STALE'
  | 'AUTH_FUTURE'
  | 'AUTH_REJECTED_BY_STS'
  /** STS could not be reached or answered 5xx/throttling: not the caller's fault, retryable (503). */
  | 'AUTH_STS_UNAVAILABLE';

export class AuthError extends Error {
  readonly status: 401 | 503;
  /** The STS error code, for AUTH_REJECTED_BY_STS (e.g. SignatureDoesNotMatch). */
  readonly stsCode: string | undefined;

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    opts: { stsCode?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'AuthError';
    this.status = code === 'AUTH_STS_UNAVAILABLE' ? 503 : 401;
    this.stsCode = opts.stsCode;
  }
}
