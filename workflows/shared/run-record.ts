// The record of a step-by-step runbook run (rotation, and later drills): its steps as a checklist,
// short facts, a bounded timeline, and the view its card and status Query show. Plain and
// deterministic: time is passed in (workflow time).
import type { RunView, StepView } from './run-view';
import type { ApprovalSnapshot } from './approval/gate';
import { MAX_TIMELINE_EVENTS } from '../break-glass/definitions';

export interface RunEvent {
  at: string;
  event: string;
  by?: string;
  detail?: string;
}

export class RunRecord {
  readonly steps: StepView[];
  readonly facts: Array<{ label: string; value: string }> = [];
  readonly timeline: RunEvent[] = [];
  omitted = 0;
  phase: string;
  outcome?: string;
  endedAt?: string;

  constructor(
    readonly title: string,
    readonly target: string,
    readonly startedAt: string,
    stepNames: readonly string[],
  ) {
    this.steps = stepNames.map((name) => ({ name, state: 'pending' }));
    this.phase = 'starting';
  }

  log(nowMs: number, event: string, detail?: string, by?: string): void {
    if (this.timeline.length >= MAX_TIMELINE_EVENTS) {
      this.omitted++;
      return;
    }
    this.timeline.push({ at: new Date(nowMs).toISOString(), event, ...(by !== undefined ? { by } : {}), ...(detail !== undefined ? { detail: detail.slice(0, 1000) } : {}) });
  }

  /** Marks a step and logs it; `detail` is what a person reads on the card (never a secret). */
  step(nowMs: number, name: string, state: StepView['state'], detail?: string): void {
    const s = this.steps.find((x) => x.name === name);
    if (!s) throw new Error(`unknown step ${name}`);
    s.state = state;
    s.at = new Date(nowMs).toISOString();
    if (detail !== undefined) s.detail = detail.slice(0, 300);
    else delete s.detail;
    this.phase = state === 'running' ? name : this.phase;
    this.log(nowMs, `${name}:${state}`, detail);
  }

  fact(label: string, value: string): void {
    const f = this.facts.find((x) => x.label === label);
    if (f) f.value = value;
    else this.facts.push({ label, value });
  }

  end(nowMs: number, outcome: string): void {
    this.outcome = outcome;
    this.phase = 'ended';
    this.endedAt = new Date(nowMs).toISOString();
    for (const s of this.steps) if (s.state === 'pending') s.state = 'skipped';
    this.log(nowMs, `ended:${outcome}`);
  }

  view(rounds?: ApprovalSnapshot[]): RunView {
    return {
      title: this.title,
      target: this.target,
      phase: this.phase,
      ...(this.outcome !== undefined ? { outcome: this.outcome } : {}),
      startedAt: this.startedAt,
      ...(this.endedAt !== undefined ? { endedAt: this.endedAt } : {}),
      steps: this.steps.map((s) => ({ ...s })),
      facts: this.facts.map((f) => ({ ...f })),
      ...(rounds && rounds.length > 0 ? { rounds } : {}),
    };
  }
}
