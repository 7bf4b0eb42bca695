// The text form of a timeline, for a person: a header (who asked, for what, why, how it ended) and
// one line per entry with its UTC time and offset from the start, details indented below it.
import { safeForTerminal } from '../../shared/terminal-text';
import { formatDuration } from './from-history';
import type { Timeline, TimelineEntry } from './types';

/** Long values are cut in text; `--json` prints them whole. */
const MAX_VALUE_CHARS = 300;

export function formatOffset(ms: number): string {
  return ms < 0 ? `-${formatDuration(-ms)}` : `+${formatDuration(ms)}`;
}

/**
 * Every printed line passes here: the values in it (reasons, names, client identities, AWS results)
 * come from histories and evidence, so a line break in one would forge a line of the timeline and a
 * control character would drive the auditor's terminal.
 */
function terminalLine(line: string): string {
  return safeForTerminal(line.replace(/\r\n|[\r\n\u2028\u2029]/g, ' '));
}

function oneLine(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const flat = (s ?? '').replace(/\s+/g, ' ');
  return flat.length > MAX_VALUE_CHARS ? `${flat.slice(0, MAX_VALUE_CHARS - 1)}…` : flat;
}

function headline(e: TimelineEntry, t0: number): string {
  const parts = [`${e.kind} ${e.name}`];
  if (e.label) parts.push(`(${e.label})`);
  if (e.actor) parts.push(`by ${e.actor}`);
  if (e.via) parts.push(`via ${e.via}`);
  if (e.identity) parts.push(`[client ${e.identity}]`);
  if (e.outcome) parts.push(`— ${e.outcome}${e.endedAt ? ` at ${formatOffset(Date.parse(e.endedAt) - t0)}` : ''}`);
  if (e.attempt !== undefined && e.attempt > 1) parts.push(`(attempt ${e.attempt})`);
  return parts.join(' ');
}

export function renderTimeline(t: Timeline): string {
  const t0 = Date.parse(t.startedAt ?? t.entries[0]?.at ?? '') || 0;
  const lines: string[] = [];
  lines.push(`${t.workflowId}${t.workflowType ? ` — ${t.workflowType}` : ''}${t.runId ? `, run ${t.runId}` : ''}`);
  lines.push(`source: ${t.sourceNote}`);
  const r = t.request;
  if (r.requester || r.what || r.why) {
    lines.push(`request: ${[r.requester ? `by ${r.requester}` : '', r.what ? `for ${r.what}` : '', r.why ? `because "${oneLine(r.why)}"` : '', r.ticket ? `(ticket ${r.ticket})` : ''].filter(Boolean).join(' ')}`);
  }
  if (t.startedAt) lines.push(`started: ${t.startedAt}`);
  if (t.plannedEndAt) lines.push(`planned end: ${t.plannedEndAt} (${formatOffset(Date.parse(t.plannedEndAt) - t0)})`);
  lines.push(`ended: ${t.endedAt ? `${t.endedAt} (${formatOffset(Date.parse(t.endedAt) - t0)}) ` : ''}${t.status}${t.outcome ? `, outcome ${t.outcome}` : ''}`);
  lines.push('');
  lines.push('time (UTC)                offset        event');
  for (const e of t.entries) {
    lines.push(`${e.at.padEnd(24)}  ${formatOffset(e.offsetMs).padEnd(12)}  ${headline(e, t0)}`);
    const indent = ' '.repeat(40);
    if (e.aws) lines.push(`${indent}aws: ${e.aws}`);
    if (e.resource) lines.push(`${indent}on: ${Object.entries(e.resource).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (e.plannedAt) lines.push(`${indent}planned: ${e.plannedAt} (${formatOffset(Date.parse(e.plannedAt) - t0)})`);
    if (e.detail) lines.push(`${indent}${oneLine(e.detail)}`);
    if (e.input !== undefined) lines.push(`${indent}input: ${oneLine(e.input)}`);
    if (e.result !== undefined) lines.push(`${indent}result: ${oneLine(e.result)}`);
    if (e.failure) lines.push(`${indent}failure: ${oneLine(e.failure)}`);
  }
  if (t.records && t.records.length > 0) {
    lines.push('');
    lines.push('evidence records used (check them with `safeguard audit verify`):');
    for (const rec of t.records) lines.push(`  #${rec.seq} ${rec.at} ${rec.kind} ${rec.id} ${rec.hash}`);
  }
  if (t.redactions && t.redactions.length > 0) lines.push(`secret-shaped values removed at: ${t.redactions.join(', ')}`);
  return lines.map(terminalLine).join('\n');
}
