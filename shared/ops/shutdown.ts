// Graceful shutdown for every Safeguard process. The first SIGTERM or SIGINT starts the process's own
// drain (readiness goes 503 first, then it stops taking work, lets in-flight work finish within a
// bound, closes its connections and exits 0); a second signal, while draining, exits at once.
import os from 'node:os';
import type { Logger } from 'pino';

export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export interface ShutdownOptions {
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Called once, on the first signal. */
  onFirst(signal: NodeJS.Signals): void;
  /** Injected by tests; default process.exit. */
  exit?: (code: number) => void;
  /** Injected by tests; default process. */
  source?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** The exit code a shell reports for a process ended by `signal` (143 for SIGTERM, 130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/** Listens for SHUTDOWN_SIGNALS; returns a function that stops listening. */
export function onShutdownSignals(opts: ShutdownOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const source = opts.source ?? process;
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (first !== undefined) {
      opts.logger.warn({ signal }, 'second signal while draining: exiting now');
      exit(signalExitCode(signal));
      return;
    }
    first = signal;
    opts.logger.info({ signal }, 'shutting down: draining (a second signal exits at once)');
    opts.onFirst(signal);
  };
  for (const s of SHUTDOWN_SIGNALS) source.on(s, handler);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) source.off(s, handler);
  };
}

/** Resolves with `p`, or with `onTimeout` once `ms` have passed (the timer never holds the process). */
export function within<T>(p: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => resolve(onTimeout), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}
