// A run's timeline from its evidence records, for when Temporal no longer has its history (retention
// passed, or it was deleted). Evidence outlives retention by design (DESIGN.md §2, audit controls);
// it holds what each kind chose to record — the run's own timeline, steps, decisions and receipts —
// not every event, and the timeline says so. Generic over kinds: it reads the fields records share.
import type { EvidenceEntry } from '../../evidence/store';
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

/** Records about `workflowId` (and `runId`, when given): `record.workflowId`, or a grant's `grantId`. */
export function recordsFor(entries: readonly EvidenceEntry[], workflowId: string, runId?: string): EvidenceEntry[] {
  return entries.filter((e) => {
    const r = e.record;
    const about = r['workflowId'] === workflowId || (r['workflowId'] === undefined && r['grantId'] === workflowId);
    return about && (runId === undefined || r['runId'] === undefined || r['runId'] === runId);
  });
}

/** Undefined when no record names the workflow. */
export function timelineFromEvidence(workflowId: string, all: readonly EvidenceEntry[], opts: { runId?: string; why?: string } = {}): Timeline | undefined {
  const records = recordsFor(all, workflowId, opts.runId);
  if (records.length === 0) return undefined;
  const raw: Array<Omit<TimelineEntry, 'offsetMs'>> = [];
  const main = records.find((e) => e.record['outcome'] !== undefined) ?? records[0]!;
  const r = main.record;
  const request = requestOf(r);
  const startedAt = str(r['requestedAt']) ?? str(r['startedAt']);
  const endedAt = str(r['actualEndAt']) ?? str(r['endedAt']);
  const runIds = [...new Set(records.map((e) => str(e.record['runId'])).filter((s): s is string => s !== undefined))];

  if (startedAt) raw.push({ at: startedAt, kind: 'started', name: str(r['kind']) ?? main.kind, ...(request.requester ? { actor: request.requester } : {}), detail: [request.what, request.why].filter(Boolean).join(' — ') });
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
    raw.push({ at: e.at, kind: 'evidence', name: e.kind, label: `evidence record #${e.seq}`, detail: `id ${e.id}, hash ${e.hash.slice(0, 16)}…`, ...(str(rec['outcome']) ? { outcome: str(rec['outcome'])! } : {}) });
  }
  const sorted = raw.map((x, i) => ({ x, i })).sort((a, b) => Date.parse(a.x.at) - Date.parse(b.x.at) || a.i - b.i).map(({ x }) => x);
  const t0 = Date.parse(startedAt ?? sorted[0]!.at);
  const plannedEndAt = str(r['plannedEndAt']);
  const outcome = str(r['outcome']);
  return scrubTimeline({
    source: 'evidence',
    sourceNote: `evidence records (${records.length}), not the workflow history${opts.why ? `: ${opts.why}` : ''}; they hold what the run recorded, not every event`,
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
