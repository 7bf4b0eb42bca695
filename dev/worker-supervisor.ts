// Keeps the dev stack's worker running (`npm run dev`): a worker that dies is started again after a
// backoff that doubles (1 s → 30 s) while it keeps dying and starts over once a worker has stayed up
// for a minute. Without it, a crashed worker leaves every workflow stalled until someone notices.
// Production restarts workers with its process manager (systemd, ECS, Kubernetes), not this.
import { setTimeout as delay } from 'node:timers/promises';

/** What the supervisor needs of a worker. */
export interface SupervisedProcess {
  /** Resolves once the process has ended, with how it ended (`code 1`, `SIGKILL`). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** Time, injected so the policy can be tested without waiting. */
export interface SupervisorClock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: SupervisorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

export interface WorkerSupervisorOptions<W extends SupervisedProcess> {
  /** Starts a worker; resolves once it runs. `signal` aborts a start still in progress (stop()). */
  spawn: (signal: AbortSignal) => Promise<W>;
  log: (msg: string) => void;
  clock?: SupervisorClock;
  /** First wait before a restart; default 1 s. */
  initialDelayMs?: number;
  /** Longest wait; default 30 s. */
  maxDelayMs?: number;
  /** A worker up this long counts as recovered: the next wait is the first again; default 60 s. */
  stableAfterMs?: number;
}

export class WorkerSupervisor<W extends SupervisedProcess> {
  private readonly clock: SupervisorClock;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableAfterMs: number;
  private readonly stopping = new AbortController();
  private running: W | undefined;
  private watching: Promise<void> | undefined;

  constructor(private readonly opts: WorkerSupervisorOptions<W>) {
    this.clock = opts.clock ?? systemClock;
    this.initialDelayMs = opts.initialDelayMs ?? 1_000;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
    this.stableAfterMs = opts.stableAfterMs ?? 60_000;
  }

  /** The worker running now; undefined while waiting to restart one. */
  get current(): W | undefined {
    return this.running;
  }

  /**
   * Starts the first worker and watches it. A first start that fails is an error for the caller
   * (a configuration problem should stop `npm run dev`, not loop); later failures are retried.
   */
  async start(): Promise<W> {
    if (this.watching) throw new Error('the worker supervisor is already started');
    const first = await this.opts.spawn(this.stopping.signal);
    this.running = first;
    this.watching = this.watch(first).catch((err: unknown) => {
      this.opts.log(`the worker supervisor failed and no longer restarts the worker: ${err instanceof Error ? err.message : String(err)}`);
    });
    return first;
  }

  /** Stops the running worker and any restart still waiting or starting; nothing is spawned after it. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running?.stop();
    await this.watching;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async watch(first: W): Promise<void> {
    let worker: W | undefined = first;
    let startedAt = this.clock.now();
    let failure = '';
    let wait = this.initialDelayMs;
    for (;;) {
      if (worker) {
        failure = `the worker exited (${await worker.exited})`;
        this.running = undefined;
        if (this.stopped) return;
        if (this.clock.now() - startedAt >= this.stableAfterMs) wait = this.initialDelayMs;
      }
      this.opts.log(`${failure}; restarting in ${wait / 1000} s`);
      await this.clock.sleep(wait, this.stopping.signal);
      if (this.stopped) return;
      wait = Math.min(wait * 2, this.maxDelayMs);
      try {
        worker = await this.opts.spawn(this.stopping.signal);
      } catch (err) {
        if (this.stopped) return;
        worker = undefined;
        failure = `the worker could not start (${err instanceof Error ? err.message : String(err)})`;
        continue;
      }
      if (this.stopped) {
        await worker.stop();
        return;
      }
      this.running = worker;
      startedAt = this.clock.now();
      this.opts.log('worker restarted');
    }
  }
}
