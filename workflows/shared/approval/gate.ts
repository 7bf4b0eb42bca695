// The approval gate shared by every workflow that needs people to decide: N-of-M distinct approvers
// from an eligible pool, never the requester, idempotent repeats, deny needs a reason. Plain and
// deterministic so it runs inside workflow code and is unit-tested without Temporal.
import { Refusals, refuse } from '../refusals';

/** What a round decides, named by the workflow that opens it (break-glass: `grant`,
 * `ratification`, `extension`; key rotation: `delete-old-key`). People see it in refusals. */
export type RoundKind = string;

export interface ApprovalRoundConfig {
  /** Names the round in decisions, e.g. `grant`, `extension-<n>`, `delete-old-key` (invariant 10). */
  id: string;
  kind: RoundKind;
  requester: string;
  eligible: readonly string[];
  quorum: number;
  openedAt: string;
  deadlineAt: string;
  /** How refusals name what is being decided on ("… is not an approver for this <scope>"); default `role`. */
  scope?: string;
}

export interface Decision {
  by: string;
  at: string;
  comment?: string;
}

export interface ApprovalSnapshot {
  /** Absent only in histories recorded before rounds had ids. */
  id?: string;
  kind: RoundKind;
  quorum: number;
  eligible: string[];
  approvals: Decision[];
  denial?: Decision & { reason: string };
  state: 'open' | 'approved' | 'denied' | 'expired';
  openedAt: string;
  deadlineAt: string;
}

/** Stable failure types, so the CLI and Slack can tell people exactly why a decision was refused. */
export const DecisionErrors = {
  selfApproval: Refusals.selfApproval,
  notApprover: Refusals.notApprover,
  notOpen: Refusals.notOpen,
  reasonRequired: Refusals.reasonRequired,
  /** The decision did not say which round it decides. */
  roundRequired: Refusals.roundRequired,
  /** The decision names a round this request does not have (yet). */
  unknownRound: Refusals.unknownRound,
  /** The person already approved this round; nothing changes (repeat clicks cost no history). */
  alreadyDecided: Refusals.alreadyDecided,
} as const;

export const MIN_DENY_REASON_LENGTH = 3;

export class ApprovalRound {
  private readonly approvals = new Map<string, Decision>();
  private denial?: Decision & { reason: string };
  private expired = false;

  constructor(readonly config: ApprovalRoundConfig) {}

  get state(): ApprovalSnapshot['state'] {
    if (this.denial) return 'denied';
    if (this.approvals.size >= this.config.quorum) return 'approved';
    return this.expired ? 'expired' : 'open';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get approvers(): string[] {
    return [...this.approvals.keys()];
  }

  /** Throws the refusal a person should see; used by Update validators, so nothing is recorded.
   * A repeat approval is refused too (AlreadyDecided): clients report it as a harmless duplicate,
   * and a refused Update leaves no trace in the history, so repeated clicks cannot grow it. */
  validateApprove(by: string): void {
    this.validateDecider(by);
    if (this.approvals.has(by)) refuse(DecisionErrors.alreadyDecided, `you have already approved this ${this.label}`);
    if (!this.isOpen) refuse(DecisionErrors.notOpen, `this ${this.label} is already ${this.state}`);
  }

  validateDeny(by: string, reason: string): void {
    this.validateDecider(by);
    if (!this.isOpen) refuse(DecisionErrors.notOpen, `this ${this.label} is already ${this.state}`);
    if (reason.trim().length < MIN_DENY_REASON_LENGTH) refuse(DecisionErrors.reasonRequired, 'a denial needs a reason');
  }

  /** Returns true when the approval was new; a repeat by the same person changes nothing (histories
   * recorded before repeats were refused by the validator still replay). */
  approve(by: string, at: string, comment?: string): boolean {
    this.validateDecider(by);
    if (this.approvals.has(by)) return false;
    if (!this.isOpen) refuse(DecisionErrors.notOpen, `this ${this.label} is already ${this.state}`);
    this.approvals.set(by, comment === undefined ? { by, at } : { by, at, comment });
    return true;
  }

  deny(by: string, at: string, reason: string): void {
    this.validateDeny(by, reason);
    this.denial = { by, at, reason };
  }

  expire(): void {
    if (this.isOpen) this.expired = true;
  }

  /** How the round is named to people: "grant", "ratification", "extension". */
  get label(): string {
    return this.config.kind;
  }

  snapshot(): ApprovalSnapshot {
    const snap: ApprovalSnapshot = {
      id: this.config.id,
      kind: this.config.kind,
      quorum: this.config.quorum,
      eligible: this.config.eligible.filter((p) => p !== this.config.requester),
      approvals: [...this.approvals.values()],
      state: this.state,
      openedAt: this.config.openedAt,
      deadlineAt: this.config.deadlineAt,
    };
    if (this.denial) snap.denial = this.denial;
    return snap;
  }

  private validateDecider(by: string): void {
    if (by === this.config.requester) refuse(DecisionErrors.selfApproval, 'you cannot decide on your own request');
    if (!this.config.eligible.includes(by)) refuse(DecisionErrors.notApprover, `${by} is not an approver for this ${this.config.scope ?? 'role'}`);
  }
}
