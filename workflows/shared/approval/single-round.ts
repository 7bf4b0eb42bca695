// The approve/deny Updates and the rounds Query of a run that asks people for at most one decision
// at a time under a fixed round id (key rotation's delete-old-key, a drill's sign-off). Validators
// refuse before anything is recorded (a garbled or forged argument as malformed); an accepted decision is written on the run's timeline.
// Workflow code.
import { setHandler } from '@temporalio/workflow';
import { Refusals, refuse } from '../refusals';
import type { RunRecord } from '../run-record';
import { approveUpdate, denyUpdate, roundsQuery } from './definitions';
import type { DecisionResult } from './definitions';
import type { ApprovalRound } from './gate';
import { assertDecisionShape } from './decision-shape';

export interface SingleRoundOptions {
  /** The round id decisions must name (a function when it changes from step to step). */
  roundId: string | (() => string | undefined);
  /** The open (or decided) round, once the run has opened it. */
  round: () => ApprovalRound | undefined;
  record: RunRecord;
  /** What the run is called in refusals ("this rotation has no round …"). */
  what: string;
  /** Timeline event prefix: `<logAs>:<state>` is written on each accepted decision. */
  logAs: string;
  /** Every round the run has had, for the rounds Query (default: the current one). */
  rounds?: () => ApprovalRound[];
}

export function handleSingleRound(o: SingleRoundOptions): void {
  const roundId = (): string | undefined => (typeof o.roundId === 'function' ? o.roundId() : o.roundId);
  const validate = (named: string | undefined, check: (r: ApprovalRound) => void): void => {
    const id = roundId();
    if (named === undefined) refuse(Refusals.roundRequired, `name the round you decide (${id ?? 'none open'})`);
    const round = o.round();
    if (named !== id) refuse(Refusals.unknownRound, `this ${o.what} has no round "${named.slice(0, 40)}" (its rounds: ${round && id ? id : 'none yet'})`);
    if (!round) refuse(Refusals.notOpen, `this ${o.what} is not waiting for a decision`);
    check(round);
  };
  const decide = (apply: (r: ApprovalRound) => unknown): DecisionResult => {
    const round = o.round()!;
    apply(round);
    const r = round.snapshot();
    o.record.log(Date.now(), `${o.logAs}:${r.state}`);
    return { accepted: true, duplicate: false, approvals: r.approvals.length, quorum: r.quorum, phase: o.record.phase, decided: r.state !== 'open', round: round.config.id, roundKind: r.kind, roundState: r.state };
  };
  setHandler(roundsQuery, () => {
    if (o.rounds) return o.rounds().map((r) => r.snapshot());
    const r = o.round();
    return r ? [r.snapshot()] : [];
  });
  setHandler(approveUpdate, (d): DecisionResult => decide((r) => r.approve(d.approver, new Date(Date.now()).toISOString(), d.comment)), {
    validator: (d) => {
      assertDecisionShape(d, 'comment');
      validate(d.round, (r) => r.validateApprove(d.approver));
    },
  });
  setHandler(denyUpdate, (d): DecisionResult => decide((r) => r.deny(d.approver, new Date(Date.now()).toISOString(), d.reason)), {
    validator: (d) => {
      assertDecisionShape(d, 'reason');
      validate(d.round, (r) => r.validateDeny(d.approver, d.reason));
    },
  });
}
