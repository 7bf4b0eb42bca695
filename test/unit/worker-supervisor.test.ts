// The dev stack's worker restart policy (dev/worker-supervisor.ts) with fake workers and a fake
// clock: backoff doubling to a cap, reset after a stable run, and no spawn after stop().
import { WorkerSupervisor } from '../../dev/worker-supervisor';
import type { SupervisedProcess, SupervisorClock } from '../../dev/worker-supervisor';

class FakeWorker implements SupervisedProcess {
  exit!: (how: string) => void;
  readonly exited = new Promise<string>((resolve) => {
    this.exit = resolve;
  });
  stopped = false;
  async stop(): Promise<void> {
    this.stopped = true;
    this.exit('SIGTERM');
  }
}

/** Time moves only when a test says so; each sleep waits for the test to release it. */
class FakeClock implements SupervisorClock {
  t = 0;
  sleeps: number[] = [];
  private wake: Array<() => void> = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      const done = (): void => resolve();
      signal.addEventListener('abort', done, { once: true });
      this.wake.push(() => {
        this.t += ms;
        done();
      });
    });
  }
  /** Ends the sleep in progress (time advances by its length). */
  release(): void {
    this.wake.shift()?.();
  }
}

/** Lets queued promise callbacks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(): { supervisor: WorkerSupervisor<FakeWorker>; clock: FakeClock; spawned: FakeWorker[]; logs: string[] } {
  const clock = new FakeClock();
  const spawned: FakeWorker[] = [];
  const logs: string[] = [];
  const supervisor = new WorkerSupervisor<FakeWorker>({
    spawn: async () => {
      const w = new FakeWorker();
      spawned.push(w);
      return w;
    },
    log: (m) => logs.push(m),
    clock,
  });
  return { supervisor, clock, spawned, logs };
}

test('a worker that keeps dying is restarted with a backoff doubling from 1 s to 30 s', async () => {
  const { supervisor, clock, spawned, logs } = setup();
  await supervisor.start();
  for (let i = 0; i < 8; i++) {
    spawned[i]!.exit('code 1');
    await settle();
    clock.release();
    await settle();
  }
  expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  expect(spawned).toHaveLength(9);
  expect(logs.slice(0, 4)).toEqual(['the worker exited (code 1); restarting in 1 s', 'worker restarted', 'the worker exited (code 1); restarting in 2 s', 'worker restarted']);
  expect(supervisor.current).toBe(spawned[8]);
  await supervisor.stop();
  expect(spawned[8]!.stopped).toBe(true);
});

test('a worker that stayed up a minute resets the backoff', async () => {
  const { supervisor, clock, spawned } = setup();
  await supervisor.start();
  for (let i = 0; i < 3; i++) {
    spawned[i]!.exit('code 1');
    await settle();
    clock.release();
    await settle();
  }
  expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  // The fourth worker runs for a minute, then dies: the next wait starts over.
  clock.t += 60_000;
  spawned[3]!.exit('SIGKILL');
  await settle();
  expect(clock.sleeps).toEqual([1000, 2000, 4000, 1000]);
  clock.release();
  await settle();
  // …and doubles again from there if it keeps dying.
  spawned[4]!.exit('code 1');
  await settle();
  expect(clock.sleeps.at(-1)).toBe(2000);
  await supervisor.stop();
});

test('stop() during a backoff wait returns at once and spawns nothing more', async () => {
  const { supervisor, clock, spawned, logs } = setup();
  await supervisor.start();
  spawned[0]!.exit('code 1');
  await settle();
  expect(clock.sleeps).toEqual([1000]);
  expect(supervisor.current).toBeUndefined();
  await supervisor.stop();
  clock.release();
  await settle();
  expect(spawned).toHaveLength(1);
  expect(logs).toEqual(['the worker exited (code 1); restarting in 1 s']);
});

test('stop() stops the running worker and does not restart it', async () => {
  const { supervisor, clock, spawned } = setup();
  await supervisor.start();
  await supervisor.stop();
  expect(spawned[0]!.stopped).toBe(true);
  await settle();
  expect(clock.sleeps).toEqual([]);
  expect(spawned).toHaveLength(1);
});

test('a restart that fails to start is retried with the next backoff; a failed first start is the caller’s error', async () => {
  const clock = new FakeClock();
  const logs: string[] = [];
  let attempt = 0;
  const workers: FakeWorker[] = [];
  const supervisor = new WorkerSupervisor<FakeWorker>({
    spawn: async () => {
      attempt += 1;
      if (attempt === 2) throw new Error('worker exited during start-up; see worker-1.log');
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    log: (m) => logs.push(m),
    clock,
  });
  await supervisor.start();
  workers[0]!.exit('code 1');
  await settle();
  clock.release();
  await settle();
  expect(logs).toContain('the worker could not start (worker exited during start-up; see worker-1.log); restarting in 2 s');
  clock.release();
  await settle();
  expect(workers).toHaveLength(2);
  expect(logs.at(-1)).toBe('worker restarted');
  await supervisor.stop();

  const broken = new WorkerSupervisor<FakeWorker>({
    spawn: async () => {
      throw new Error('bad config');
    },
    log: () => undefined,
    clock: new FakeClock(),
  });
  await expect(broken.start()).rejects.toThrow('bad config');
});

test('stop() while a restart is starting cancels it and stops what it started', async () => {
  const clock = new FakeClock();
  const started: FakeWorker[] = [];
  let finishStart: (() => void) | undefined;
  let seenSignal: AbortSignal | undefined;
  const supervisor = new WorkerSupervisor<FakeWorker>({
    spawn: async (signal) => {
      const w = new FakeWorker();
      started.push(w);
      if (started.length > 1) {
        seenSignal = signal;
        // A start that ignores the signal and completes anyway.
        await new Promise<void>((resolve) => (finishStart = resolve));
      }
      return w;
    },
    log: () => undefined,
    clock,
  });
  await supervisor.start();
  started[0]!.exit('code 1');
  await settle();
  clock.release();
  await settle();
  expect(started).toHaveLength(2);
  const stopping = supervisor.stop();
  expect(seenSignal?.aborted).toBe(true);
  finishStart?.();
  await stopping;
  expect(started[1]!.stopped).toBe(true);
  expect(supervisor.current).toBeUndefined();
});
