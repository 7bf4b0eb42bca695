// What a validator refused with: the stable type of the non-retryable ApplicationFailure it threw,
// or undefined when it accepted. For unit tests of the pure rules behind Update validators.
import { ApplicationFailure } from '@temporalio/workflow';

export function refusalType(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return (err as ApplicationFailure).type ?? undefined;
  }
  return undefined;
}
