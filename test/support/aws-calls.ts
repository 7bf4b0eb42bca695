// Small helpers for tests that call the sandbox with the AWS SDK: the error a call failed with, and
// waiting for an eventually consistent answer.

/** An SDK error as tests read it: its name, AWS error code and HTTP status. */
export type AwsFailure = Error & { Code?: string; $metadata?: { httpStatusCode?: number } };

/** The error a call failed with; throws if it succeeded. */
export async function failure(p: Promise<unknown>): Promise<AwsFailure> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the call to fail');
  return err;
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
