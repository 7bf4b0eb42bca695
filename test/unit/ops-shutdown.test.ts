// Graceful shutdown's signal handling (shared/ops/shutdown.ts): the first SIGTERM/SIGINT starts the
// process's drain, a second exits at once with the shell's code for that signal.
import { EventEmitter } from 'node:events';
import { onShutdownSignals, signalExitCode, within } from '../../shared/ops/shutdown';

function harness() {
  const source = new EventEmitter();
  const exits: number[] = [];
  const drains: string[] = [];
  const logs: string[] = [];
  const logger = { info: (_o: unknown, msg: string) => void logs.push(msg), warn: (_o: unknown, msg: string) => void logs.push(msg) };
  const dispose = onShutdownSignals({
    logger: logger as never,
    onFirst: (signal) => drains.push(signal),
    exit: (code) => void exits.push(code),
    source: source as unknown as NodeJS.Process,
  });
  return { source, exits, drains, logs, dispose };
}

it('starts draining on the first SIGTERM without exiting', () => {
  const h = harness();
  h.source.emit('SIGTERM', 'SIGTERM');
  expect(h.drains).toEqual(['SIGTERM']);
  expect(h.exits).toEqual([]);
  expect(h.logs).toContain('shutting down: draining (a second signal exits at once)');
  h.dispose();
});

it('exits at once on a second signal while draining (143 for SIGTERM, 130 for SIGINT)', () => {
  const h = harness();
  h.source.emit('SIGINT', 'SIGINT');
  h.source.emit('SIGTERM', 'SIGTERM');
  expect(h.drains).toEqual(['SIGINT']);
  expect(h.exits).toEqual([143]);
  h.source.emit('SIGINT', 'SIGINT');
  expect(h.exits).toEqual([143, 130]);
  h.dispose();
});

it('stops listening when disposed', () => {
  const h = harness();
  h.dispose();
  expect(h.source.listenerCount('SIGTERM')).toBe(0);
  expect(h.source.listenerCount('SIGINT')).toBe(0);
});

it('names the exit code a shell reports for a signal', () => {
  expect(signalExitCode('SIGTERM')).toBe(143);
  expect(signalExitCode('SIGINT')).toBe(130);
});

describe('within', () => {
  it('resolves with the promise when it is in time, and with the fallback when it is not', async () => {
    expect(await within(Promise.resolve('done'), 1000, 'late')).toBe('done');
    expect(await within(new Promise<string>(() => undefined), 10, 'late')).toBe('late');
    await expect(within(Promise.reject(new Error('x')), 1000, 'late')).rejects.toThrow('x');
  });
});
