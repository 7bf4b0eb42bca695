// One place that turns AWS SDK errors into activity failures: throttling gets a retry delay,
// permanent errors (access denied, missing role) are non-retryable with a stable type.
import { ApplicationFailure } from '@temporalio/activity';

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'Rate exceeded']);
const PERMANENT = new Set(['AccessDenied', 'AccessDeniedException', 'NoSuchEntity', 'NoSuchEntityException', 'MalformedPolicyDocument', 'ValidationError', 'InvalidParameterValue', 'RegionDisabledException']);

export function awsErrorName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v !== 'Error') return v;
  }
  return undefined;
}

export function isThrottling(err: unknown): boolean {
  const name = awsErrorName(err);
  return name !== undefined && THROTTLING.has(name);
}

/** Runs an AWS call on behalf of `action`, mapping its failure once. */
export async function awsCall<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(action, err);
  }
}

export function toActivityFailure(action: string, err: unknown): ApplicationFailure {
  const name = awsErrorName(err) ?? 'UnknownAwsError';
  const message = `${action}: ${name}: ${err instanceof Error ? err.message : String(err)}`;
  if (isThrottling(err)) return ApplicationFailure.create({ type: 'AwsThrottling', message, nextRetryDelay: '2s' });
  if (PERMANENT.has(name)) return ApplicationFailure.create({ type: `Aws${name.replace(/Exception$/, '')}`, message, nonRetryable: true });
  return ApplicationFailure.create({ type: 'AwsError', message });
}
