// Check (b): retries, crashes and restarts did nothing twice. One deny statement per person per
// role; one outcome record per run; no rotation run made more than one key, and every rotated user
// ends with one key (two at most while a rotation runs); no restore drill restored twice.
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import type { RestoreJobsListMember } from '@aws-sdk/client-backup';
import { accessKeyTargetFor } from '../../client/rotation-targets';
import { restoreDrillTargetFor } from '../../client/drill-targets';
import { fireDrillRoleSnapshot } from '../../client/fire-drill-client';
import { roleSnapshotFor } from '../../client/request';
import { ROTATION_WORKFLOW_TYPES } from '../../client/rotation-client';
import { RESTORE_DRILL_WORKFLOW } from '../../client/drill-client';
import type { Policy } from '../../config/policy/types';
import type { EvidenceEntry } from '../../evidence/chain';
import type { CallRecord } from '../../sandbox/call-log';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import type { RoleTarget, StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import type { CheckResult } from '../ledger';
import { errorText } from './bounded';
import { callAtMs, clock, restoreTargetOf, tookEffect } from './calls';
import type { CheckFacts, ListedExecution } from './facts';

// ---- deny statements ------------------------------------------------------------------------------

/** People with more than one deny statement, and their cut-offs. Pure. */
export function duplicateStatements(statements: readonly StatementCutoff[]): { person: string; cutoffs: string[] }[] {
  const byPerson = new Map<string, string[]>();
  for (const s of statements) byPerson.set(s.person, [...(byPerson.get(s.person) ?? []), s.tokensIssuedBefore]);
  return [...byPerson].filter(([, cutoffs]) => cutoffs.length > 1).map(([person, cutoffs]) => ({ person, cutoffs }));
}

/** Every role a revocation writes deny statements on: break-glass roles and fire-drill roles, once each. */
export function revocationRoles(policy: Policy): (RoleTarget & { label: string })[] {
  const roles = [
    ...policy.breakGlass.roles.map((r) => ({ ...roleSnapshotFor(policy, r.name), label: r.name })),
    ...policy.drills.fire.map((d) => ({ ...fireDrillRoleSnapshot(policy, d), label: `fire drill ${d.name}` })),
  ];
  const seen = new Map<string, RoleTarget & { label: string }>();
  for (const r of roles) {
    const key = `${r.accountId}|${r.roleArn}`;
    const known = seen.get(key);
    if (known) known.label = `${known.label}, ${r.label}`;
    else seen.set(key, { accountId: r.accountId, roleArn: r.roleArn, executionRoleArn: r.executionRoleArn, externalId: r.externalId, label: r.label });
  }
  return [...seen.values()];
}

export async function checkOneDenyStatementPerPerson(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const roles = revocationRoles(f.policy);
  for (const role of roles) {
    try {
      for (const d of duplicateStatements(await f.statements(role))) {
        problems.push(`${role.roleArn} (${role.label}): ${d.cutoffs.length} deny statements for ${d.person} (cut-offs ${d.cutoffs.join(', ')})`);
      }
    } catch (err) {
      problems.push(`${role.roleArn} (${role.label}): could not read its deny policy: ${errorText(err)}`);
    }
  }
  return { name: 'no duplicates: one deny statement per person per role', ok: problems.length === 0, checked: roles.length, problems };
}

// ---- outcome records -----------------------------------------------------------------------------

/** The evidence kinds that record a run's outcome, by run kind: break-glass grants may also be reconciled. */
export function outcomeKinds(runKind: string): string[] {
  return runKind === 'break-glass' ? ['break-glass', 'reconciled'] : [runKind];
}

/** Runs with more than one outcome record (of any of their kinds), and those records. Pure. */
export function duplicateOutcomes(evidence: readonly EvidenceEntry[], runs: readonly { workflowId: string; kind: string }[]): { workflowId: string; records: string[] }[] {
  const out: { workflowId: string; records: string[] }[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.workflowId)) continue;
    seen.add(run.workflowId);
    const kinds = outcomeKinds(run.kind);
    const records = evidence.filter((e) => kinds.includes(e.kind) && e.record['workflowId'] === run.workflowId);
    if (records.length > 1) out.push({ workflowId: run.workflowId, records: records.map((e) => `${e.kind} seq ${e.seq} (run ${String(e.record['runId'] ?? '?')})`) });
  }
  return out;
}

export async function checkOneOutcomePerRun(f: CheckFacts): Promise<CheckResult> {
  const runs = [...f.ledger.runs.map((r) => ({ workflowId: r.workflowId, kind: r.kind })), ...[...f.ledger.grants.values()].map((g) => ({ workflowId: g.workflowId, kind: 'break-glass' }))];
  const problems = duplicateOutcomes(f.evidence, runs).map((d) => `${d.workflowId}: ${d.records.length} outcome records: ${d.records.join('; ')}`);
  return { name: 'no duplicates: one outcome record per run', ok: problems.length === 0, checked: new Set(runs.map((r) => r.workflowId)).size, problems };
}

// ---- access keys ---------------------------------------------------------------------------------

export interface RunWindow {
  workflowId: string;
  startMs: number;
  /** Absent while the run is open. */
  closeMs?: number;
}

/**
 * Key creations that no rotation run accounts for. Runs whose windows overlap are taken together
 * (a creation in the overlap could be either's): a group may have created as many keys as it has
 * runs. Creations outside every window were made by no rotation run. Pure.
 */
export function excessKeyCreations(runs: readonly RunWindow[], createdAtMs: readonly number[], nowMs: number): { runs: string[]; created: number[] }[] {
  const windows = [...runs].map((r) => ({ ...r, endMs: r.closeMs ?? nowMs })).sort((a, b) => a.startMs - b.startMs);
  const groups: { runs: string[]; startMs: number; endMs: number }[] = [];
  for (const w of windows) {
    const last = groups[groups.length - 1];
    if (last && w.startMs <= last.endMs) {
      last.runs.push(w.workflowId);
      last.endMs = Math.max(last.endMs, w.endMs);
    } else groups.push({ runs: [w.workflowId], startMs: w.startMs, endMs: w.endMs });
  }
  const out: { runs: string[]; created: number[] }[] = [];
  const outside: number[] = [];
  const inGroup = new Map<number, number[]>();
  for (const at of createdAtMs) {
    const g = groups.findIndex((x) => at >= x.startMs && at <= x.endMs);
    if (g < 0) outside.push(at);
    else inGroup.set(g, [...(inGroup.get(g) ?? []), at]);
  }
  const ordered = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  for (const [g, created] of inGroup) if (created.length > groups[g]!.runs.length) out.push({ runs: groups[g]!.runs, created: ordered(created) });
  if (outside.length > 0) out.push({ runs: [], created: ordered(outside) });
  return out;
}

/** The policy target a run is for: its SafeguardRole search attribute, else the longest target name its id starts with. Pure. */
export function targetOfRun(run: Pick<ListedExecution, 'workflowId' | 'target'>, idPrefix: string, names: readonly string[]): string | undefined {
  if (run.target !== undefined && names.includes(run.target)) return run.target;
  return names.filter((n) => run.workflowId.startsWith(`${idPrefix}${n}-`)).sort((a, b) => b.length - a.length)[0];
}

export async function checkAccessKeys(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const names = f.policy.rotation.accessKeys.map((t) => t.name);
  const rotations = f.executions.filter((e) => e.type === ROTATION_WORKFLOW_TYPES['access-key-rotation']);
  let checked = 0;
  if ((f.ledger.callsLost ?? 0) > 0) problems.push(`${f.ledger.callsLost} calls rolled out of the gateway's log before the recorder read them: key creations may be missing`);
  for (const name of names) {
    const target = accessKeyTargetFor(f.policy, name);
    const runs = rotations.filter((r) => targetOfRun(r, 'rotate-key-', names) === name);
    const creates = f.calls.filter((c) => c.action === 'CreateAccessKey' && c.params['UserName'] === target.userName && tookEffect(c)).map(callAtMs);
    if (runs.length === 0 && creates.length === 0) continue;
    checked++;
    for (const x of excessKeyCreations(runs, creates, f.checksStartedAtMs)) {
      const when = x.created.map(clock).join(', ');
      problems.push(
        x.runs.length === 0
          ? `${target.userName}: ${x.created.length} key(s) created outside any rotation run of ${name} (at ${when})`
          : `${target.userName}: ${x.created.length} keys created by ${x.runs.length} rotation run(s) ${x.runs.join(', ')} (at ${when})`,
      );
    }
    try {
      const { iam } = await f.aws.account(target);
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: target.userName }))).AccessKeyMetadata ?? [];
      const open = runs.filter((r) => r.status === 'RUNNING').map((r) => r.workflowId);
      if (keys.length > 2) problems.push(`${target.userName}: ${keys.length} access keys (IAM allows 2)`);
      else if (open.length === 0 && keys.length !== 1) problems.push(`${target.userName}: ${keys.length} access keys after its ${runs.length} rotation run(s) closed (expected 1): ${outcomesOf(f, runs)}`);
      if (open.length > 0) notes.push(`${target.userName}: rotation still running (${open.join(', ')}); ${keys.length} key(s)`);
    } catch (err) {
      problems.push(`${target.userName}: could not list its access keys: ${errorText(err)}`);
    }
  }
  return { name: 'no duplicates: access keys', ok: problems.length === 0, checked, problems, notes };
}

function outcomesOf(f: CheckFacts, runs: readonly ListedExecution[]): string {
  return runs
    .map((r) => {
      const rec = f.evidence.find((e) => e.kind === 'access-key-rotation' && e.record['workflowId'] === r.workflowId && e.record['runId'] === r.runId);
      return `${r.workflowId} ${String(rec?.record['outcome'] ?? r.status)}`;
    })
    .join(', ');
}

// ---- restores ------------------------------------------------------------------------------------

export interface Restore {
  name: string;
  atMs: number;
  how: string;
}

/** Restores that took effect, from the call log (RDS and DynamoDB restore calls). Pure. */
export function restoresFromCalls(calls: readonly CallRecord[]): Restore[] {
  return calls.flatMap((c) => {
    const name = restoreTargetOf(c);
    return name !== undefined && tookEffect(c) ? [{ name, atMs: callAtMs(c), how: c.action }] : [];
  });
}

/**
 * Restores by AWS Backup restore jobs. A job is counted, not its StartRestoreJob calls: a retry with
 * the same idempotency token (redacted in the call log) answers with the same job. Jobs that failed
 * or were aborted created nothing. Pure.
 */
export function restoresFromJobs(jobs: readonly RestoreJobsListMember[]): Restore[] {
  return jobs.flatMap((j) => {
    if (j.Status === 'FAILED' || j.Status === 'ABORTED' || !j.CreatedResourceArn) return [];
    const name = j.CreatedResourceArn.split(/[:/]/).pop();
    return name ? [{ name, atMs: j.CreationDate?.getTime() ?? 0, how: `restore job ${j.RestoreJobId ?? '?'}` }] : [];
  });
}

async function backupRestores(f: CheckFacts): Promise<{ restores: Restore[]; notes: string[] }> {
  const restores: Restore[] = [];
  const notes: string[] = [];
  const accounts = new Map(f.policy.drills.restore.filter((d) => d.source.type === 'backup-recovery-point').map((d) => [d.account, restoreDrillTargetFor(f.policy, d.name)]));
  for (const target of accounts.values()) {
    try {
      const { backup } = await f.aws.account(target);
      let token: string | undefined;
      do {
        const page = await backup.send(new ListRestoreJobsCommand({ ByCreatedAfter: new Date(f.ledger.startedAtMs), ...(token ? { NextToken: token } : {}) }));
        restores.push(...restoresFromJobs(page.RestoreJobs ?? []));
        token = page.NextToken;
      } while (token);
    } catch (err) {
      notes.push(`account ${target.accountId}: AWS Backup restore jobs not counted: ${errorText(err)}`);
    }
  }
  return { restores, notes };
}

export async function checkOneRestorePerDrill(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const names = f.policy.drills.restore.map((d) => d.name);
  const drills = f.executions.filter((e) => e.type === RESTORE_DRILL_WORKFLOW);
  const runOfScratch = new Map<string, string>();
  for (const run of drills) {
    const drill = targetOfRun(run, 'drill-restore-', names);
    if (drill !== undefined) runOfScratch.set(scratchNameFor(drill, run.workflowId), run.workflowId);
  }
  if ((f.ledger.callsLost ?? 0) > 0) problems.push(`${f.ledger.callsLost} calls rolled out of the gateway's log before the recorder read them: restores may be missing`);
  const backup = await backupRestores(f);
  const byName = new Map<string, Restore[]>();
  for (const r of [...restoresFromCalls(f.calls), ...backup.restores]) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const [name, restores] of byName) {
    if (restores.length < 2) continue;
    const run = runOfScratch.get(name) ?? 'no listed drill run';
    const when = [...restores].sort((a, b) => a.atMs - b.atMs).map((r) => `${r.how} at ${clock(r.atMs)}`);
    problems.push(`${name} (${run}): restored ${restores.length} times: ${when.join('; ')}`);
  }
  return { name: 'no duplicates: one restore per drill', ok: problems.length === 0, checked: drills.length, problems, notes: backup.notes };
}
