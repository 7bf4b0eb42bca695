// The embedded stack as the chaos run drives it: two worker processes it kills and starts again
// itself (a crash at a random point, not a shutdown), and a Temporal dev server it kills and starts
// again on the same port and SQLite file. The workers send Slack messages to a fake Slack Web API on
// loopback, which the chaos makes fail.
import path from 'node:path';
import { spawnWorker, startStack } from '../dev/stack';
import type { Stack, StackInfo, WorkerProcess } from '../dev/stack';
import { startDevServer } from '../dev/temporal-server';
import type { DevServer } from '../dev/temporal-server';
import type { Random } from './random';

export const WORKER_SLOTS = ['a', 'b'] as const;
type Slot = (typeof WORKER_SLOTS)[number];
const WORKER_START_ATTEMPTS = 10;

export class ChaosStack {
  private readonly workers = new Map<Slot, WorkerProcess>();
  private readonly starting = new Map<Slot, Promise<void>>();
  private temporal: DevServer;
  /** Worker processes that ended by a chaos SIGKILL. */
  kills = 0;

  private constructor(
    readonly stack: Stack,
    private readonly slackApiUrl: string,
    private readonly log: (m: string) => void,
  ) {
    this.temporal = stack.temporal;
  }

  static async start(opts: { dataDir: string; slackApiUrl: string; log: (m: string) => void }): Promise<ChaosStack> {
    // No worker from the stack: the chaos owns its workers (and their Slack configuration).
    const stack = await startStack({ dataDir: opts.dataDir, headless: true, worker: false, log: opts.log });
    const chaos = new ChaosStack(stack, opts.slackApiUrl, opts.log);
    try {
      for (const slot of WORKER_SLOTS) await chaos.startWorker(slot);
    } catch (err) {
      await chaos.stop();
      throw err;
    }
    return chaos;
  }

  get info(): StackInfo {
    return this.stack.info;
  }

  /** Pids of the workers running now (for the report). */
  runningWorkers(): number {
    return this.workers.size;
  }

  private async startWorker(slot: Slot): Promise<void> {
    const pending = this.starting.get(slot);
    if (pending) return pending;
    const start = (async () => {
      const w = await this.spawnWithRetries(slot);
      this.workers.set(slot, w);
      void w.exited.then(() => {
        if (this.workers.get(slot) === w) this.workers.delete(slot);
      });
    })().finally(() => this.starting.delete(slot));
    this.starting.set(slot, start);
    return start;
  }

  /** A worker cannot start while Temporal is down: it exits, and is started again (bounded). */
  private async spawnWithRetries(slot: Slot): Promise<WorkerProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await spawnWorker(this.info, path.join(this.info.dataDir, `worker-${slot}.log`), {
          env: { SLACK_BOT_TOKEN: 'xoxb-chaos', SLACK_API_URL: this.slackApiUrl, LOG_LEVEL: 'info' },
        });
      } catch (err) {
        if (attempt >= WORKER_START_ATTEMPTS) throw err;
        this.log(`worker ${slot} did not start (${err instanceof Error ? err.message : String(err)}); trying again`);
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  /** SIGKILLs one running worker (or both) and starts its replacement; resolves once it runs again. */
  async killWorkers(random: Random, both: boolean): Promise<string> {
    const running = [...this.workers.keys()];
    if (running.length === 0) return 'no worker was running';
    const victims = both ? running : [random.pick(running)];
    for (const slot of victims) {
      await this.workers.get(slot)?.kill();
      this.kills += 1;
    }
    await Promise.all(victims.map((slot) => this.startWorker(slot)));
    return `SIGKILL worker ${victims.join(' and ')}; started again`;
  }

  /** Both workers running (after a failed start, say); resolves once they are. */
  async ensureWorkers(): Promise<void> {
    await Promise.all(WORKER_SLOTS.filter((s) => !this.workers.has(s)).map((s) => this.startWorker(s)));
  }

  /** SIGKILLs the Temporal dev server, waits `downMs`, and starts it again on the same port and file. */
  async restartTemporal(downMs: number): Promise<string> {
    const old = this.temporal;
    const exited = new Promise((r) => (old.process.exitCode !== null || old.process.signalCode !== null ? r(undefined) : old.process.once('exit', r)));
    old.process.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, downMs));
    const port = Number(this.info.temporalAddress.split(':').pop());
    this.temporal = await startDevServer({ dbFile: path.join(this.info.dataDir, 'temporal.db'), port, headless: true, logFile: path.join(this.info.dataDir, 'temporal.log') });
    this.log(`temporal dev server answering again on ${this.temporal.address}`);
    return `SIGKILL temporal dev server; ${Math.round(downMs / 1000)} s down; started again on the same SQLite file`;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.starting.values()]);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    if (this.temporal !== this.stack.temporal) await this.temporal.stop();
    await this.stack.stop();
  }
}
