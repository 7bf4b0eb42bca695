// Replaying exported workflow histories against today's workflow code: a change that would break a
// running (or recorded) workflow shows up as a non-determinism error here, not in production. Shared
// by the replay test (test/workflows/replay.test.ts) and `safeguard audit replay`.
//
// History files are JSON as `temporal workflow show --output json` or `historyToJSON(fetchHistory())`
// writes them, named `<workflow id>.json` or `<workflow id>.<scenario>.json`: replay needs the
// original workflow id (child and scratch ids derive from it), and a history does not carry it.
import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ENCRYPTED_ENCODING } from '../codec/payload-codec';

type History = temporal.api.history.v1.IHistory;

/** The single workflowsPath entry (workflows/index.ts). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface HistoryFile {
  file: string;
  workflowId: string;
  /** The workflow type its first event names. */
  workflowType: string;
  history: History;
  /** Whether its payloads are encrypted by the payload codec (replay then needs the key ring). */
  encrypted: boolean;
}

/** The workflow id a history file is named after: everything before the first ".". */
export function workflowIdFromFileName(file: string): string {
  return path.basename(file).replace(/\.json$/i, '').split('.')[0] ?? '';
}

/** Reads and checks one history file; HistoryFileError names the file and what is wrong with it. */
export function readHistoryFile(file: string): HistoryFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HistoryFileError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HistoryFileError(file, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new HistoryFileError(file, 'not a workflow history: no "events" array');
  }
  let history: History;
  try {
    history = historyFromJSON(json);
  } catch (err) {
    throw new HistoryFileError(file, `not a workflow history (${err instanceof Error ? err.message : String(err)})`);
  }
  const first = history.events?.[0];
  const workflowType = first?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!first || first.eventType !== temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED || !workflowType) {
    throw new HistoryFileError(file, 'not a workflow history: its first event is not WorkflowExecutionStarted');
  }
  const workflowId = workflowIdFromFileName(file);
  if (workflowId === '') throw new HistoryFileError(file, 'the file name must start with the workflow id (<workflow id>[.<scenario>].json)');
  return { file, workflowId, workflowType, history, encrypted: usesEncryptedPayloads(json) };
}

/** `path` itself when it is a file, else every `*.json` in the directory (sorted). */
export function historyFiles(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new HistoryFileError(target, 'no such file or directory');
  }
  if (stat.isFile()) return [target];
  const files = fs
    .readdirSync(target)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(target, f));
  if (files.length === 0) throw new HistoryFileError(target, 'no *.json history files in this directory');
  return files;
}

/** Whether any payload in the (JSON) history carries the codec's `binary/encrypted` encoding. */
function usesEncryptedPayloads(json: unknown): boolean {
  const encoded = Buffer.from(ENCRYPTED_ENCODING, 'utf8').toString('base64');
  return JSON.stringify(json).includes(`"encoding":"${encoded}"`);
}

/**
 * For a command-line process: the SDK's own logging (worker state changes, the activation failure a
 * non-determinism causes) would bury the report, which already says what failed. Has no effect when
 * the process's Temporal runtime is already set up (a worker, a test).
 */
export function silenceReplayLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR', () => undefined), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // Installed already: that process chose its logging.
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Today's workflow code, bundled once per process (bundling is the slow part). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  return bundle;
}

export interface ReplayOutcome {
  file: string;
  workflowId: string;
  workflowType: string;
  ok: boolean;
  /** Set when replay failed: `non-determinism` (today's code takes another path) or `failure`. */
  error?: { kind: 'non-determinism' | 'failure'; message: string; eventId?: number };
}

export interface ReplayOptions {
  bundle?: WorkflowBundleWithSourceMap;
  /** Needed for histories whose payloads are encrypted; plain histories replay without a codec. */
  encryptedConverter?: () => Promise<DataConverter>;
}

/**
 * Replays each history, in order. Plain and encrypted histories replay on separate replay workers:
 * the codec refuses unencrypted payloads (they would decode to a marker and change the path), and
 * encrypted ones cannot be read without it.
 */
export async function replayHistories(files: readonly HistoryFile[], opts: ReplayOptions = {}): Promise<ReplayOutcome[]> {
  const workflowBundleCode = opts.bundle ?? (await workflowBundle());
  const results = new Map<HistoryFile, ReplayOutcome>();
  for (const encrypted of [false, true]) {
    const group = files.filter((f) => f.encrypted === encrypted);
    if (group.length === 0) continue;
    const dataConverter = encrypted ? await encryptedConverterOf(opts) : undefined;
    const replays = Worker.runReplayHistories(
      { workflowBundle: workflowBundleCode, replayName: 'safeguard-replay', ...(dataConverter ? { dataConverter } : {}) },
      group.map((f) => ({ workflowId: f.workflowId, history: f.history })),
    );
    // One result per history, in the order given (the replay worker runs one history at a time).
    let i = 0;
    for await (const r of replays) {
      const f = group[i++]!;
      results.set(f, { file: f.file, workflowId: f.workflowId, workflowType: f.workflowType, ok: !r.error, ...(r.error ? { error: describeReplayError(r.error, f.history) } : {}) });
    }
  }
  return files.map((f) => results.get(f) ?? { file: f.file, workflowId: f.workflowId, workflowType: f.workflowType, ok: false, error: { kind: 'failure', message: 'the replay worker stopped before this history' } });
}

async function encryptedConverterOf(opts: ReplayOptions): Promise<DataConverter> {
  if (!opts.encryptedConverter) throw new Error('encrypted histories need the payload codec key ring');
  return opts.encryptedConverter();
}

/**
 * What failed, for a person: the SDK's message carries Core's failure debug dump; the inner message
 * (`[TMPRL1100] Nondeterminism error: …`) is what matters. The event is the id Core names, else the
 * first event of the history whose activity, timer, child or signal name the message quotes.
 */
export function describeReplayError(err: Error, history?: History): NonNullable<ReplayOutcome['error']> {
  const kind = err.name === 'DeterminismViolationError' || /nondetermin/i.test(err.message) ? 'non-determinism' : 'failure';
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(err.message)?.[1];
  const message = (inner ?? err.message).replace(/\s+/g, ' ').slice(0, 2000);
  const byId = /HistoryEvent\(id: (\d+)|event(?:\s+id)?\s*[#:]?\s*(\d+)/i.exec(message);
  let eventId = byId ? Number(byId[1] ?? byId[2]) : undefined;
  if (eventId === undefined && history) {
    const quoted = [...message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const found = (history.events ?? []).find((e) => {
      const names = [
        e.activityTaskScheduledEventAttributes?.activityType?.name,
        e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name,
        e.timerStartedEventAttributes?.timerId,
        e.workflowExecutionSignaledEventAttributes?.signalName,
      ];
      return names.some((n) => n && quoted.includes(n));
    });
    if (found?.eventId !== undefined && found.eventId !== null) eventId = Number(found.eventId);
  }
  return { kind, message, ...(eventId !== undefined ? { eventId } : {}) };
}
