// Decisions for every kind that asks people (`safeguard approve|deny <any workflow id>`). Break-glass
// keeps its own client (its rounds have history-specific defaults); every other kind exposes the
// shared `rounds` Query and the shared approve/deny Updates, and this client decides on them.
import type { Client } from '@temporalio/client';
import { approveUpdate, denyUpdate, roundsQuery } from '../workflows/shared/approval/definitions';
import type { DecisionChannel, DecisionResult } from '../workflows/shared/approval/definitions';
import type { ApprovalSnapshot } from '../workflows/shared/approval/gate';
import { Refusals } from '../workflows/shared/refusals';
import { SafeguardError, explainTemporalError } from './errors';
import { assertRunId, kindOfWorkflowId } from './ids';
import { assertFreeText } from './request';

export interface RunDecisionOptions {
  /** The round id; without one, the run's only open round. */
  round?: string;
  via?: DecisionChannel;
}

const ROUND_ID = /^[a-z][a-z0-9-]{0,62}$/;

/** Refuses a round id no run can have, before anything is sent. */
export function assertRoundId(round: string): string {
  if (!ROUND_ID.test(round)) throw new SafeguardError('INVALID_ID', `"${round.slice(0, 40)}" is not a round id (lower-case letters, digits and "-", like delete-old-key)`);
  return round;
}

export class DecisionsClient {
  constructor(private readonly client: Client) {}

  async rounds(id: string): Promise<ApprovalSnapshot[]> {
    return this.call(id, (h) => h.query(roundsQuery));
  }

  async approve(id: string, approver: string, opts: RunDecisionOptions & { comment?: string } = {}): Promise<DecisionResult> {
    assertFreeText('comment', opts.comment);
    const round = await this.resolveRound(id, opts.round);
    const args = { approver, round, ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.via ? { via: opts.via } : {}) };
    try {
      return await this.call(id, (h) => h.executeUpdate(approveUpdate, { args: [args] }));
    } catch (err) {
      if (err instanceof SafeguardError && err.refusal === Refusals.alreadyDecided) {
        const r = (await this.rounds(id)).find((x) => x.id === round);
        return { accepted: true, duplicate: true, approvals: r?.approvals.length ?? 0, quorum: r?.quorum ?? 0, phase: 'unchanged', decided: r?.state !== 'open', round, ...(r ? { roundKind: r.kind, roundState: r.state } : {}) };
      }
      throw err;
    }
  }

  async deny(id: string, approver: string, reason: string, opts: RunDecisionOptions = {}): Promise<DecisionResult> {
    assertFreeText('reason', reason);
    const round = await this.resolveRound(id, opts.round);
    return this.call(id, (h) => h.executeUpdate(denyUpdate, { args: [{ approver, reason, round, ...(opts.via ? { via: opts.via } : {}) }] }));
  }

  private async resolveRound(id: string, round: string | undefined): Promise<string> {
    if (round !== undefined) return assertRoundId(round);
    // A runbook asks for several approvals over its life: an approval meant for one step must never
    // land on the next (invariant 10), so it names the step.
    if (kindOfWorkflowId(id) === 'runbook') throw new SafeguardError('NO_ROUND_PENDING', `${id} is a runbook run: name the approval step you decide (--round <step id>; safeguard runbook status ${id} shows it)`);
    const open = (await this.rounds(id)).filter((r) => r.state === 'open' && r.id);
    if (open.length === 0) throw new SafeguardError('NO_ROUND_PENDING', `${id} is not waiting for a decision`);
    if (open.length > 1) throw new SafeguardError('NO_ROUND_PENDING', `${id} waits for ${open.length} decisions (${open.map((r) => r.id).join(', ')}): name one with --round`);
    return open[0]!.id!;
  }

  private async call<T>(id: string, fn: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    assertRunId(id);
    try {
      return await fn(this.client.workflow.getHandle(id));
    } catch (err) {
      throw explainTemporalError(err, id);
    }
  }
}
