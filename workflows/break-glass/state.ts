// Plain, deterministic state of one break-glass request. The workflow drives it; the status Query
// reads it; Update validators ask it whether a decision is allowed. Time is passed in (workflow
// time), never read here.
import { ApplicationFailure } from '@temporalio/workflow';
import { ApprovalRound } from '../approval/gate';
import type { RoundKind } from '../approval/gate';
import type { CardRef } from '../../activities/notify/notifier';
import type {
  BreakGlassInput,
  BreakGlassStatus,
  CredentialIssue,
  EndReason,
  ExtendInput,
  Outcome,
  Phase,
  RevokeInput,
} from './definitions';

export const RequestErrors = {
  notAllowedToRevoke: 'NotAllowedToRevoke',
  notRequester: 'NotTheRequester',
  notActive: 'GrantNotActive',
  extensionPending: 'ExtensionAlreadyPending',
  overMaximum: 'DurationOverMaximum',
  badDuration: 'InvalidDuration',
  ended: 'RequestEnded',
  revoked: 'GrantRevoked',
} as const;

function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

const iso = (ms: number): string => new Date(ms).toISOString();

export interface RevokeRequest {
  by: string;
  reason?: string;
  at: number;
  endReason: EndReason;
}

export class BreakGlassState {
  phase: Phase = 'pending';
  outcome?: Outcome;
  endReason?: EndReason;
  grantRound?: ApprovalRound;
  ratificationRound?: ApprovalRound;
  extensionRound?: ApprovalRound;
  proposedEndAtMs?: number;
  grantedAtMs?: number;
  plannedEndAtMs?: number;
  revokeRequest?: RevokeRequest;
  /** Open vending leases: lease id → expiry (workflow time, ms). */
  readonly leases = new Map<string, number>();
  lastUseAtMs?: number;
  ratifiedAnnounced = false;
  /** The planned end the requester was last warned about (a new end after an extension re-arms it). */
  warnedForEndMs?: number;
  /** Where the request's chat card is, once a notifier has posted it. */
  cardRef?: CardRef;
  readonly status: BreakGlassStatus;

  constructor(readonly input: BreakGlassInput, nowMs: number) {
    this.status = {
      grantId: input.grantId,
      requester: input.requester,
      role: input.role.name,
      roleArn: input.role.roleArn,
      accountId: input.role.accountId,
      mode: input.role.mode,
      phase: 'pending',
      reason: input.reason,
      requestedAt: iso(nowMs),
      durationMs: input.durationMs,
      credentials: [],
      sessions: [],
      timeline: [],
    };
    if (input.ticket !== undefined) this.status.ticket = input.ticket;
  }

  log(nowMs: number, event: string, by?: string, detail?: string): void {
    const e: BreakGlassStatus['timeline'][number] = { at: iso(nowMs), event };
    if (by !== undefined) e.by = by;
    if (detail !== undefined) e.detail = detail;
    this.status.timeline.push(e);
  }

  openRound(kind: RoundKind, nowMs: number, deadlineMs: number): ApprovalRound {
    const round = new ApprovalRound({
      kind,
      requester: this.input.requester,
      eligible: this.input.role.approvers,
      quorum: this.input.role.quorum,
      openedAt: iso(nowMs),
      deadlineAt: iso(deadlineMs),
    });
    if (kind === 'grant') this.grantRound = round;
    else if (kind === 'ratification') this.ratificationRound = round;
    else this.extensionRound = round;
    return round;
  }

  /** The round a decision applies to: the open one, else the latest (so repeats stay idempotent). */
  decisionRound(): ApprovalRound {
    const rounds = [this.extensionRound, this.ratificationRound, this.grantRound].filter(
      (r): r is ApprovalRound => r !== undefined,
    );
    const round = rounds.find((r) => r.isOpen) ?? rounds[0];
    if (!round || this.phase === 'revoking' || this.phase === 'ended') refuse('NoDecisionPending', 'there is no decision pending on this request');
    return round;
  }

  validateRevoke(req: RevokeInput): void {
    const role = this.input.role;
    const allowed = req.by === this.input.requester || role.approvers.includes(req.by) || role.security.includes(req.by);
    if (!allowed) refuse(RequestErrors.notAllowedToRevoke, `${req.by} may not revoke this grant: only the requester, an approver or security can`);
    if (this.phase === 'ended') refuse(RequestErrors.ended, 'this request has already ended');
  }

  revokeEndReason(by: string): EndReason {
    if (by === this.input.requester) return 'revoked-by-requester';
    if (this.input.role.approvers.includes(by)) return 'revoked-by-approver';
    return 'revoked-by-security';
  }

  validateExtend(req: ExtendInput): void {
    if (req.requester !== this.input.requester) refuse(RequestErrors.notRequester, 'only the requester can extend a grant');
    if (this.phase !== 'active' || this.revokeRequest) refuse(RequestErrors.notActive, 'only an active grant can be extended');
    if (this.extensionRound?.isOpen) refuse(RequestErrors.extensionPending, 'an extension is already waiting for approval');
    if (!Number.isFinite(req.byMs) || req.byMs <= 0) refuse(RequestErrors.badDuration, 'extension must be a positive duration');
    const total = (this.plannedEndAtMs ?? 0) + req.byMs - (this.grantedAtMs ?? 0);
    if (total > this.input.role.maxDurationMs) {
      refuse(RequestErrors.overMaximum, `extension would make the grant ${Math.round(total / 60000)} min long; the role allows at most ${Math.round(this.input.role.maxDurationMs / 60000)} min`);
    }
  }

  validateReserve(by: string): void {
    if (by !== this.input.requester) refuse(RequestErrors.notRequester, 'only the requester can use this grant');
    if (this.phase === 'revoking' || (this.phase === 'ended' && this.outcome === 'revoked')) refuse(RequestErrors.revoked, 'this grant has been revoked');
    if (this.phase !== 'active' || this.revokeRequest) refuse(RequestErrors.notActive, `this grant is not active (${this.phase})`);
  }

  openLeases(nowMs: number): number {
    for (const [id, exp] of this.leases) if (exp <= nowMs) this.leases.delete(id);
    return this.leases.size;
  }

  recordCredentials(issue: CredentialIssue): void {
    // Only the key id and expiry are ever kept; the caller never has the secret to give.
    this.status.credentials.push({ accessKeyId: issue.accessKeyId, expiresAt: issue.expiresAt, issuedAt: issue.issuedAt });
    if (issue.leaseId) this.leases.delete(issue.leaseId);
  }

  recordSession(sessionId: string): void {
    if (!this.status.sessions.includes(sessionId)) this.status.sessions.push(sessionId);
  }

  /** A fresh copy for the Query, with the rounds rendered. */
  snapshot(): BreakGlassStatus {
    const round = this.extensionRound?.isOpen ? this.extensionRound : (this.ratificationRound ?? this.grantRound);
    const s: BreakGlassStatus = { ...this.status, phase: this.phase, credentials: [...this.status.credentials], sessions: [...this.status.sessions], timeline: [...this.status.timeline] };
    if (round) s.approval = round.snapshot();
    if (this.outcome) s.outcome = this.outcome;
    if (this.endReason) s.endReason = this.endReason;
    if (this.grantedAtMs !== undefined) s.grantedAt = iso(this.grantedAtMs);
    if (this.plannedEndAtMs !== undefined) s.plannedEndAt = iso(this.plannedEndAtMs);
    return s;
  }
}
