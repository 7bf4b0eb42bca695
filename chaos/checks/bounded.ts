// Every wait in the final checks ends: a chaos run has a time budget, and a check that hangs on a
// stalled server would hide every other check's result.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export class CheckTimeoutError extends Error {
  readonly code = 'CheckTimeout';
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'CheckTimeoutError';
  }
}

/** The promise's value, or CheckTimeoutError after `ms` (the promise itself is left to settle). */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` until it is true or `deadlineMs` (epoch) passes; whether it got there. */
export async function waitUntil(done: () => Promise<boolean>, deadlineMs: number, everyMs = 1000): Promise<boolean> {
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadlineMs) return false;
    await sleep(Math.min(everyMs, deadlineMs - Date.now()));
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** `fn` over `items`, at most `concurrency` at a time, results in order. */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
