// The notify / evidence / finish helpers of a step-by-step runbook run (key rotation, and the kinds
// that follow): its RunRecord, its outbox of notifications in the shared envelope, its search
// attributes, and the one way it ends — outcome upserted, evidence written (a failure pages),
// "ended" told, the outbox drained, in-flight handlers answered. Workflow code.
import { allHandlersFinished, condition, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ApprovalSnapshot } from './approval/gate';
import type { RunbookNotification, RunView } from './notifications';
import { Outbox } from './outbox';
import { RunRecord } from './run-record';
import type { RunEvent } from './run-record';
import { SEARCH_ATTRIBUTES } from './search-attributes';
import type { SafeguardKind } from './search-attributes';

const evidence = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5 } });

/** How long a finishing run waits for its notifications to go out. */
const NOTIFY_DRAIN_MS = 30_000;

export interface RunbookRunOptions {
  /** The card the run's notifications render as. */
  kind: RunbookNotification['kind'];
  /** SafeguardKind and evidence kind when they differ from `kind` (housekeeping runs such as the drill sweeper). */
  searchKind?: SafeguardKind;
  evidenceKind?: string;
  title: string;
  /** The policy target the run is about. */
  target: string;
  accountId: string;
  requestedBy: string;
  /** Person ids paged on failures. */
  security: string[];
  /** Slack channel for the run's card. */
  channel?: string;
  steps: readonly string[];
  /** The decision rounds to show on the card, if the kind asks for any. */
  rounds?: () => ApprovalSnapshot[];
  /** The confirmation the run waits for, shown on its card (declarative runbooks). */
  confirm?: () => RunView['confirm'];
}

export class RunbookRun {
  readonly record: RunRecord;
  private readonly outbox = new Outbox();

  constructor(private readonly opts: RunbookRunOptions) {
    this.record = new RunRecord(opts.title, opts.target, new Date(Date.now()).toISOString(), opts.steps);
    upsertSearchAttributes({
      [SEARCH_ATTRIBUTES.kind]: [opts.searchKind ?? opts.kind],
      [SEARCH_ATTRIBUTES.role]: [opts.target],
      [SEARCH_ATTRIBUTES.account]: [opts.accountId],
      [SEARCH_ATTRIBUTES.requester]: [opts.requestedBy],
    });
  }

  /** Queues a notification (never waits on Slack); a page is also written on the timeline. */
  notify(event: string, o: { page?: boolean; detail?: string; audience?: string[] } = {}): void {
    if (o.page) this.record.log(Date.now(), 'security-paged', `${event}${o.detail ? `: ${o.detail}` : ''}`);
    this.outbox.push({
      kind: this.opts.kind,
      subjectId: workflowInfo().workflowId,
      event,
      audience: o.audience ?? this.opts.security,
      severity: o.page ? 'page' : 'info',
      security: this.opts.security,
      ...(this.opts.channel ? { channel: this.opts.channel } : {}),
      ...(o.detail ? { detail: o.detail } : {}),
      view: this.view(),
    });
  }

  /** The run as its card and status Query show it. */
  view(): RunView {
    const v = this.record.view(this.opts.rounds?.());
    const confirm = this.opts.confirm?.();
    return confirm ? { ...v, confirm } : v;
  }

  /** What every kind's evidence record carries about the run itself: times, steps, facts, timeline. */
  recordFields(): { startedAt: string; endedAt: string; steps: RunView['steps']; facts: RunView['facts']; timeline: RunEvent[] } {
    const v = this.record.view();
    return { startedAt: v.startedAt, endedAt: v.endedAt ?? new Date(Date.now()).toISOString(), steps: v.steps, facts: v.facts, timeline: [...this.record.timeline] };
  }

  /**
   * Ends the run: the outcome on the record and in the search attributes, one evidence record of the
   * run's kind (built after the record ended, so it carries endedAt and the final steps), "ended"
   * told (a page when `opts.page` says why), notifications drained. Returns whether the evidence was
   * written (a failure pages security).
   */
  async finish(outcome: string, evidenceRecord: (run: { workflowId: string; runId: string }) => Record<string, unknown>, ok: boolean, opts: { page?: string } = {}): Promise<boolean> {
    this.record.end(Date.now(), outcome);
    upsertSearchAttributes({ [SEARCH_ATTRIBUTES.outcome]: [outcome] });
    const info = workflowInfo();
    let evidenceWritten = true;
    try {
      await evidence.recordEvidence({ id: `${info.workflowId}/${info.runId}`, kind: this.opts.evidenceKind ?? this.opts.kind, record: evidenceRecord({ workflowId: info.workflowId, runId: info.runId }) });
    } catch (err) {
      evidenceWritten = false;
      this.notify('evidence-not-written', { page: true, detail: `the evidence record could not be written: ${errorMessage(err)}` });
    }
    // A failure nothing paged yet pages with the run's end (no extra notification: one per ending).
    this.notify('ended', ok ? {} : opts.page ? { page: true, detail: `${outcome}: ${opts.page}` } : { detail: outcome });
    await this.outbox.flush(NOTIFY_DRAIN_MS);
    await condition(allHandlersFinished);
    return evidenceWritten;
  }
}

/** What a failure says, for timelines and pages (the cause's message when it has one). */
export function errorMessage(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return (e.cause?.message ?? e.message ?? String(err)).slice(0, 300);
}
