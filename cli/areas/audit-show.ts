// `safeguard audit show <workflow id>`: one run's full timeline for an auditor, from its Temporal
// history (decoded) or, once retention has passed, from its evidence records.
// `safeguard audit replay <history file|dir>`: exported histories replayed against today's workflow
// code. `safeguard audit export-history <workflow id> --out <file>`: record a history for replay.
// Exit codes: 0 ok, 1 not found / replay failed, 2 bad input (ids, paths, unparsable files).
// The command functions take an output sink and their dependencies, so they are testable without a
// stack; the registrars add them to the `audit` command they are given (cli/areas/audit.ts wires them).
import path from 'node:path';
import type { Command } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { DataConverter } from '@temporalio/common';
import { loadTimeline, renderTimeline, isNotFound } from '../../client/audit-timeline';
import type { Timeline } from '../../client/audit-timeline';
import { SafeguardError } from '../../client/errors';
import { ConfigError } from '../../config/env';
import { PolicyError } from '../../config/policy';
import { KeyRingError, dataConverterWithCodec, loadKeyFile } from '../../codec';
import { keyRingForProcess } from '../../codec/kms-keyring';
import { HistoryFileError, historyFiles, readHistoryFile, replayHistories, silenceReplayLogs } from '../../worker/replay';
import type { HistoryFile, ReplayOptions, ReplayOutcome } from '../../worker/replay';
import { jsonForTerminal, safeForTerminal } from '../../shared/terminal-text';
import { findRunningStack, openContext } from '../context';
import type { CliContext } from '../context';
import { outFileProblem, writeFileAtomic } from '../out-file';
import { out as stdOut } from '../program';
import type { Out } from '../program';

/** What the audit commands need from the outside world; tests pass their own. */
export interface AuditShowDeps {
  /** A CLI context (Temporal client with the codec); throws when Temporal cannot be reached. */
  openContext(): Promise<Pick<CliContext, 'temporal' | 'sandbox' | 'close'>>;
  /** The data converter for encrypted histories (the process's key ring). */
  encryptedConverter(): Promise<DataConverter>;
  /** Called before replaying: the CLI silences the SDK's logging (its report says what failed). */
  beforeReplay?(): void;
  out: Out;
}

export const defaultAuditDeps: AuditShowDeps = {
  openContext: () => openContext(),
  encryptedConverter: async () => {
    const stack = process.env.TEMPORAL_ADDRESS ? undefined : findRunningStack();
    return dataConverterWithCodec(stack?.codecKeyFile ? loadKeyFile(stack.codecKeyFile) : await keyRingForProcess());
  },
  beforeReplay: silenceReplayLogs,
  out: stdOut,
};

/** Workflow ids are printable, without spaces; Temporal allows up to 1,000 characters. */
const WORKFLOW_ID = /^[\x21-\x7e]{1,1000}$/;

function badId(id: string, out: Out): boolean {
  if (WORKFLOW_ID.test(id)) return false;
  out.stderr(`error: invalid workflow id ${JSON.stringify(id.slice(0, 80))}: printable characters, no spaces`);
  return true;
}

function evidenceDirFor(opts: { dir?: string }, ctx?: Pick<CliContext, 'sandbox'>): string {
  return opts.dir ?? ctx?.sandbox?.stack.evidenceDir ?? process.env.SAFEGUARD_EVIDENCE_DIR ?? path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
}

/**
 * Configuration errors are the operator's to fix (exit 2), not "Temporal is down": a codec key that is
 * missing or unreadable among them. Falling back to the evidence then would show a partial timeline
 * as if the history were gone (docs/audit.md: a missing codec key is an error, never a fallback).
 */
function isConfigError(err: unknown): err is Error {
  return err instanceof ConfigError || err instanceof PolicyError || err instanceof KeyRingError;
}

export async function runAuditShow(workflowId: string, opts: { runId?: string; json?: boolean; dir?: string }, deps: AuditShowDeps = defaultAuditDeps): Promise<number> {
  const { out } = deps;
  if (badId(workflowId, out) || (opts.runId !== undefined && badId(opts.runId, out))) return 2;
  let ctx: Awaited<ReturnType<AuditShowDeps['openContext']>> | undefined;
  let temporalError: string | undefined;
  try {
    ctx = await deps.openContext();
  } catch (err) {
    if (isConfigError(err)) {
      out.stderr(`error: ${err.message}`);
      return 2;
    }
    temporalError = err instanceof Error ? err.message : String(err);
  }
  let timeline: Timeline;
  try {
    timeline = await loadTimeline({
      workflowId,
      ...(opts.runId ? { runId: opts.runId } : {}),
      evidenceDir: evidenceDirFor(opts, ctx),
      ...(ctx ? { temporal: ctx.temporal } : {}),
      ...(temporalError ? { temporalError } : {}),
    });
  } catch (err) {
    if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND') {
      out.stderr(`error: ${err.message}`);
      return 1;
    }
    if (isConfigError(err)) {
      out.stderr(`error: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await ctx?.close();
  }
  if (timeline.source === 'evidence') out.stderr(`note: ${workflowId}: the timeline comes from evidence records, not the workflow history`);
  out.stdout(opts.json ? jsonForTerminal(timeline) : renderTimeline(timeline));
  return 0;
}

export async function runAuditReplay(target: string, opts: { json?: boolean }, deps: AuditShowDeps = defaultAuditDeps): Promise<number> {
  const { out } = deps;
  const files: HistoryFile[] = [];
  const problems: string[] = [];
  try {
    for (const file of historyFiles(target)) {
      try {
        files.push(readHistoryFile(file));
      } catch (err) {
        if (!(err instanceof HistoryFileError)) throw err;
        problems.push(err.message);
      }
    }
  } catch (err) {
    if (!(err instanceof HistoryFileError)) throw err;
    problems.push(err.message);
  }
  if (problems.length > 0) {
    // Replay nothing when an input is unreadable: a partial "all ok" would mislead.
    if (opts.json) out.stdout(JSON.stringify({ ok: false, problems }));
    for (const p of problems) out.stderr(`error: ${p}`);
    return 2;
  }
  deps.beforeReplay?.();
  const replayOpts: ReplayOptions = { encryptedConverter: () => deps.encryptedConverter() };
  const results = await replayHistories(files, replayOpts);
  const failed = results.filter((r) => !r.ok);
  if (opts.json) out.stdout(JSON.stringify({ ok: failed.length === 0, results }));
  else {
    for (const r of results) out.stdout(formatReplay(r));
    out.stdout(`${results.length - failed.length}/${results.length} histories replay against today's workflow code${failed.length > 0 ? `; ${failed.length} FAILED` : ''}`);
  }
  return failed.length === 0 ? 0 : 1;
}

/** Workflow types, file names and error messages come from the history files: one line each, shown, never obeyed, by the terminal. */
const shown = (text: string): string => safeForTerminal(text.replace(/\s+/g, ' '));

export function formatReplay(r: ReplayOutcome): string {
  const head = `${r.ok ? 'ok    ' : 'FAILED'}  ${shown(r.workflowId)} (${shown(r.workflowType)})  ${shown(path.basename(r.file))}`;
  if (!r.error) return head;
  return `${head}\n        ${r.error.kind}${r.error.eventId !== undefined ? ` at event ${r.error.eventId}` : ''}: ${shown(r.error.message.slice(0, 1000))}`;
}

export async function runExportHistory(workflowId: string, opts: { out: string; runId?: string }, deps: AuditShowDeps = defaultAuditDeps): Promise<number> {
  const { out } = deps;
  if (badId(workflowId, out) || (opts.runId !== undefined && badId(opts.runId, out))) return 2;
  const problem = await outFileProblem(opts.out);
  if (problem) {
    out.stderr(`error: ${problem}`);
    return 2;
  }
  if (path.basename(opts.out).split('.')[0] !== workflowId) {
    out.stderr(`note: replay takes the workflow id from the file name; name it ${workflowId}.json or ${workflowId}.<scenario>.json`);
  }
  const ctx = await deps.openContext();
  try {
    const history = await ctx.temporal.workflow.getHandle(workflowId, opts.runId).fetchHistory();
    // Payloads stay as Temporal stores them (encrypted), but who asked for what and when is readable:
    // owner-only, even where a file of that name existed with a looser mode.
    await writeFileAtomic(opts.out, historyToJSON(history), 0o600);
    out.stdout(`wrote ${history.events?.length ?? 0} events of ${workflowId} to ${opts.out}`);
    return 0;
  } catch (err) {
    if (isNotFound(err)) {
      out.stderr(`error: no history for ${workflowId}${opts.runId ? ` (run ${opts.runId})` : ''} in Temporal`);
      return 1;
    }
    throw err;
  } finally {
    await ctx.close();
  }
}

export function registerAuditShow(audit: Command, deps: AuditShowDeps = defaultAuditDeps): void {
  audit
    .command('show <workflowId>')
    .description("one run's full timeline: who asked, decisions, AWS actions and receipts, timers, how it ended (history, else evidence)")
    .option('--run-id <id>', 'a particular run of the workflow (default: the latest)')
    .option('--dir <dir>', 'evidence directory for the fallback (default: the stack\'s, SAFEGUARD_EVIDENCE_DIR or .data/evidence)')
    .option('--json', 'print the timeline as one JSON object')
    .action(async (workflowId: string, o: { runId?: string; dir?: string; json?: boolean }) => {
      process.exitCode = await runAuditShow(workflowId, o, deps);
    });
}

export function registerAuditReplay(audit: Command, deps: AuditShowDeps = defaultAuditDeps): void {
  audit
    .command('replay <path>')
    .description("replay exported workflow histories (a file or a directory of <workflow id>[.<scenario>].json) against today's workflow code")
    .option('--json', 'print one JSON object')
    .action(async (target: string, o: { json?: boolean }) => {
      process.exitCode = await runAuditReplay(target, o, deps);
    });
  audit
    .command('export-history <workflowId>')
    .description('write a workflow history (payloads as stored, encrypted) to a file, for `audit replay`')
    .requiredOption('--out <file>', 'where to write it: <workflow id>.<scenario>.json')
    .option('--run-id <id>', 'a particular run (default: the latest)')
    .action(async (workflowId: string, o: { out: string; runId?: string }) => {
      process.exitCode = await runExportHistory(workflowId, o, deps);
    });
}
