// A run's timeline from its evidence records, for when Temporal no longer has its history (retention
// passed, or it was deleted). Evidence outlives retention by design (DESIGN.md §2, audit controls);
// it holds what each kind chose to record — the run's own timeline, steps, decisions and receipts —
// not every event, and the timeline says so. Generic over kinds: it reads the fields records share.
import type { EvidenceEntry } from '../../evidence/store';
import { checkAws } from './annotations';
import { requestOf } from './from-history';
import { scrubTimeline } from './scrub';
import type { Timeline, TimelineEntry } from './types';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function objects(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** Records about `workflowId` (and `runId`, when given): `record.workflowId`, a grant's `grantId`, or the root-login watcher run that paged. */
export function recordsFor(entries: readonly EvidenceEntry[], workflowId: string, runId?: string): EvidenceEntry[] {
  return entries.filter((e) => {
    const r = e.record;
    const about = r['workflowId'] === workflowId || (r['workflowId'] === undefined && (r['grantId'] === workflowId || r['watchWorkflowId'] === workflowId));
    return about && (runId === undefined || r['runId'] === undefined || r['runId'] === runId);
  });
}

/**
 * Evidence kinds written for a part of a run (a runbook step, as it ends), not for the run: the run's
 * own record is the main one, and a part's outcome or end is never taken for the run's.
 */
const PART_KINDS = new Set(['runbook-step']);

/** Undefined when no record names the workflow. */
export function timelineFromEvidence(workflowId: string, all: readonly EvidenceEntry[], opts: { runId?: string; why?: string } = {}): Timeline | undefined {
  const records = recordsFor(all, workflowId, opts.runId);
  if (records.length === 0) return undefined;
  const raw: Array<Omit<TimelineEntry, 'offsetMs'>> = [];
  const runRecords = records.filter((e) => !PART_KINDS.has(e.kind));
  const main = runRecords.find((e) => e.record['outcome'] !== undefined) ?? runRecords[0];
  // Only step records (the run is still open, or its record was not written): who and what from them, no end.
  const r = main?.record ?? records[0]!.record;
  const request = requestOf(r);
  const stepStarts = records.filter((e) => PART_KINDS.has(e.kind)).map((e) => str(e.record['startedAt'])).filter((s): s is string => s !== undefined).sort();
  const startedAt = main ? (str(r['requestedAt']) ?? str(r['startedAt'])) : stepStarts[0];
  const endedAt = main ? (str(r['actualEndAt']) ?? str(r['endedAt'])) : undefined;
  const runIds = [...new Set(records.map((e) => str(e.record['runId'])).filter((s): s is string => s !== undefined))];

  if (startedAt) raw.push({ at: startedAt, kind: 'started', name: str(r['kind']) ?? (main ?? records[0]!).kind, ...(request.requester ? { actor: request.requester } : {}), detail: [request.what, request.why].filter(Boolean).join(' — ') });
  // Before the records' own lines: at the same instant, a decision or a check comes before the step it ended.
  raw.push(...runbookStepEntries(records, objects(r['steps']).length === 0));
  for (const e of records) {
    const rec = e.record;
    for (const t of objects(rec['timeline'])) {
      const at = str(t['at']);
      if (!at) continue;
      raw.push({ at, kind: 'event', name: str(t['event']) ?? 'event', ...(str(t['by']) ? { actor: str(t['by'])! } : {}), ...(str(t['detail']) ? { detail: str(t['detail'])! } : {}) });
    }
    for (const s of objects(rec['steps'])) {
      const at = str(s['at']);
      if (!at) continue;
      raw.push({ at, kind: 'step', name: str(s['name']) ?? 'step', outcome: str(s['state']) ?? 'unknown', ...(str(s['detail']) ? { detail: str(s['detail'])! } : {}) });
    }
    const rounds = objects(rec['rounds']);
    for (const round of rounds.length > 0 ? rounds : objects([rec['approval']])) {
      const roundName = str(round['id']) ?? str(round['kind']) ?? 'round';
      for (const d of objects(round['approvals'])) {
        const at = str(d['at']);
        if (at) raw.push({ at, kind: 'decision', name: 'approve', label: `approval (round ${roundName})`, ...(str(d['by']) ? { actor: str(d['by'])! } : {}), ...(str(d['via']) ? { via: str(d['via'])! } : {}), ...(str(d['comment']) ? { detail: str(d['comment'])! } : {}) });
      }
      const denial = isObject(round['denial']) ? round['denial'] : undefined;
      const deniedAt = str(denial?.['at']);
      if (denial && deniedAt) raw.push({ at: deniedAt, kind: 'decision', name: 'deny', label: `denial (round ${roundName})`, ...(str(denial['by']) ? { actor: str(denial['by'])! } : {}), ...(str(denial['reason']) ? { detail: str(denial['reason'])! } : {}) });
    }
    const grant = isObject(rec['grantReceipt']) ? rec['grantReceipt'] : undefined;
    if (grant && str(grant['verifiedAt'])) raw.push({ at: str(grant['verifiedAt'])!, kind: 'receipt', name: 'grant receipt', aws: 'sts:AssumeRole + sts:GetCallerIdentity', result: grant });
    for (const c of objects(rec['credentials'])) {
      const at = str(c['issuedAt']);
      if (at) raw.push({ at, kind: 'event', name: 'credentials issued', label: 'access key id and expiry only', result: { accessKeyId: c['accessKeyId'], expiresAt: c['expiresAt'] } });
    }
    const revocation = isObject(rec['revocation']) ? rec['revocation'] : undefined;
    if (revocation && str(revocation['checkedAt'])) {
      raw.push({ at: str(revocation['checkedAt'])!, kind: 'receipt', name: 'revocation receipt', aws: 'iam:PutRolePolicy (deny) + ssm:TerminateSession, verified', outcome: revocation['verified'] === true ? 'verified' : 'NOT verified', result: revocation });
    }
    if (e.kind === 'root-login' && str(rec['at'])) {
      const facts = [`account ${str(rec['accountId']) ?? '?'}`, str(rec['sourceIp']) ? `from ${str(rec['sourceIp'])!}` : '', `MFA used: ${str(rec['mfaUsed']) ?? 'unknown'}`, `CloudTrail event ${str(rec['eventId']) ?? '?'}`];
      raw.push({ at: str(rec['at'])!, kind: 'event', name: 'root console sign-in', label: 'no recovery open: security paged', detail: facts.filter(Boolean).join(', '), ...(str(rec['pagedAt']) ? { endedAt: str(rec['pagedAt'])! } : {}) });
    }
    raw.push({ at: e.at, kind: 'evidence', name: e.kind, label: `evidence record #${e.seq}`, detail: `id ${e.id}, hash ${e.hash.slice(0, 16)}…`, ...(str(rec['outcome']) ? { outcome: str(rec['outcome'])! } : {}) });
  }
  // A run's own log line about a decision ("mfa-retrieved:confirmed" by bob) or a step's last state
  // ("2. MFA device retrieved:done") says what the decision or step entry already says, at the same
  // instant: the structured entry stays, the echo goes.
  const decided = new Set(raw.filter((x) => x.kind === 'decision' && x.actor).map((x) => `${x.at} ${x.actor!}`));
  const stepped = new Set(raw.filter((x) => x.kind === 'step').map((x) => `${x.at} ${x.name}:${x.outcome ?? ''}`));
  const kept = raw.filter((x) => !(x.kind === 'event' && ((x.actor && decided.has(`${x.at} ${x.actor}`)) || stepped.has(`${x.at} ${x.name}`))));
  const sorted = kept.map((x, i) => ({ x, i })).sort((a, b) => Date.parse(a.x.at) - Date.parse(b.x.at) || a.i - b.i).map(({ x }) => x);
  const t0 = Date.parse(startedAt ?? sorted[0]!.at);
  const plannedEndAt = main ? str(r['plannedEndAt']) : undefined;
  const outcome = main ? str(r['outcome']) : undefined;
  return scrubTimeline({
    source: 'evidence',
    sourceNote: `evidence records (${records.length}), not the workflow history${opts.why ? `: ${opts.why}` : ''}; they hold what the run recorded, not every event${main ? '' : '; no record of the run itself (still open, or its record was not written): its steps only'}`,
    workflowId,
    ...(runIds.length === 1 ? { runId: runIds[0]! } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    status: 'RECORDED',
    ...(outcome ? { outcome } : {}),
    ...(plannedEndAt ? { plannedEndAt } : {}),
    request,
    entries: sorted.map((x) => ({ ...x, offsetMs: Date.parse(x.at) - t0 })),
    records: records.map((e) => ({ seq: e.seq, at: e.at, kind: e.kind, id: e.id, hash: e.hash })),
  });
}

/**
 * A declarative runbook's steps (runbook.workflow.ts StepRecord): approvals and denials and each
 * confirmation (who, step, note, channel) as decisions, each check's answer as a receipt. From the
 * run's `stepResults`, and from `runbook-step` records for steps the run record does not list (a run
 * still open, or one whose run record was not written). `withSteps`: the run has no checklist of its
 * own, so each step's end is an entry too.
 */
function runbookStepEntries(records: readonly EvidenceEntry[], withSteps: boolean): Array<Omit<TimelineEntry, 'offsetMs'>> {
  const byIndex = new Map<string, Record<string, unknown>>();
  for (const e of records) for (const s of objects(e.record['stepResults'])) byIndex.set(String(s['index'] ?? s['id']), s);
  for (const e of records) if (PART_KINDS.has(e.kind) && !byIndex.has(String(e.record['index'] ?? e.record['id']))) byIndex.set(String(e.record['index'] ?? e.record['id']), e.record);
  const out: Array<Omit<TimelineEntry, 'offsetMs'>> = [];
  for (const s of byIndex.values()) {
    const id = str(s['id']) ?? 'step';
    const type = str(s['type']);
    const by = objects(s['by']);
    // A denied approval step lists the denial last (declarative-runbook.workflow.ts approval()).
    const denial = type === 'approval' && s['outcome'] === 'failed' ? by.at(-1) : undefined;
    for (const d of by) {
      const at = str(d['at']);
      if (!at || (type !== 'approval' && type !== 'confirm')) continue;
      const name = d === denial ? 'deny' : type === 'approval' ? 'approve' : 'confirm';
      const label = name === 'deny' ? `denial (round ${id})` : name === 'approve' ? `approval (round ${id})` : `confirmation (step ${id})`;
      pushEntry(out, { at, kind: 'decision', name, label, actor: str(d['by']), via: str(d['via']), detail: str(d['note']) });
    }
    const check = isObject(s['check']) ? s['check'] : undefined;
    const checkedAt = str(check?.['checkedAt']) ?? str(s['endedAt']);
    if (check && checkedAt) {
      pushEntry(out, { at: checkedAt, kind: 'receipt', name: `runbook check ${str(check['check']) ?? '?'}`, aws: checkAws(check['check']), outcome: check['passed'] === true ? 'passed' : 'not passed', detail: str(check['summary']), result: check });
    }
    const endedAt = str(s['endedAt']);
    if (withSteps && endedAt) pushEntry(out, { at: endedAt, kind: 'step', name: id, outcome: str(s['outcome']) ?? 'unknown', detail: [s['escalated'] === true ? 'escalated' : undefined, str(s['detail'])].filter(Boolean).join('; ') || undefined });
  }
  return out;
}

/** Pushes an entry without the fields that are undefined (the timeline's JSON has no null-ish keys). */
function pushEntry(out: Array<Omit<TimelineEntry, 'offsetMs'>>, entry: { [K in keyof Omit<TimelineEntry, 'offsetMs'>]?: Omit<TimelineEntry, 'offsetMs'>[K] | undefined } & Pick<TimelineEntry, 'at' | 'kind' | 'name'>): void {
  out.push(Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as Omit<TimelineEntry, 'offsetMs'>);
}
