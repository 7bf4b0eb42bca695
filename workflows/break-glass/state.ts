// Plain, deterministic state of one break-glass request. The workflow drives it; the status Query
// reads it; Update validators ask it whether a decision is allowed. Time is passed in (workflow
// time), never read here. Validators must never change it: they do not run on replay.
import { Refusals, refuse } from '../shared/refusals';
import { looksLikeSecret } from '../../config/redact';
import { ApprovalRound, DecisionErrors } from '../shared/approval/gate';

import type { CardRef } from '../shared/notifications';
import {
  MAX_CREDENTIAL_ISSUES,
  MAX_EXTENSIONS,
  MAX_OPEN_LEASES,
  MAX_RECORDED_REFUSALS,
  MAX_RECORDED_SESSIONS,
  MAX_TIMELINE_EVENTS,
} from './definitions';
import type {
  BreakGlassRoundKind,
  AccessRefusal,
  BreakGlassInput,
  BreakGlassStatus,
  CredentialIssue,
  DecisionInput,
  DenyInput,
  EndReason,
  ExtendInput,
  Outcome,
  Phase,
  RecordCounts,
  RevokeInput,
} from './definitions';

export const RequestErrors = {
  notAllowedToRevoke: Refusals.notAllowedToRevoke,
  notRequester: Refusals.notRequester,
  notActive: Refusals.notActive,
  extensionPending: Refusals.extensionPending,
  extensionLimit: Refusals.extensionLimit,
  overMaximum: Refusals.overMaximum,
  badDuration: Refusals.badDuration,
  ended: Refusals.ended,
  revoked: Refusals.revoked,
  alreadyRevoking: Refusals.alreadyRevoking,
  vendingLimit: Refusals.vendingLimit,
  tooManyLeases: Refusals.tooManyLeases,
  stepUpRequired: Refusals.stepUpRequired,
  secretInText: Refusals.secretInText,
  notChecked: Refusals.requestRejected,
} as const;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Free text that reaches history and evidence must not carry a secret (invariant 1). */
export function refuseSecretText(field: string, text: string | undefined): void {
  if (text !== undefined && looksLikeSecret(text)) refuse(RequestErrors.secretInText, `the ${field} looks like it contains a secret (a key or token); remove it and try again`);
}

export interface RevokeRequest {
  by: string;
  reason?: string;
  at: number;
  endReason: EndReason;
}

/** Events that a flood can produce: each kind is listed up to its cap, then only counted. */
type NoisyEvent = 'credentials' | 'sessions' | 'refusals';
const NOISY_CAPS: Record<NoisyEvent, number> = { credentials: MAX_CREDENTIAL_ISSUES, sessions: MAX_RECORDED_SESSIONS, refusals: MAX_RECORDED_REFUSALS };

export class BreakGlassState {
  phase: Phase = 'pending';
  outcome?: Outcome;
  endReason?: EndReason;
  grantRound?: ApprovalRound;
  ratificationRound?: ApprovalRound;
  extensionRound?: ApprovalRound;
  readonly rounds: ApprovalRound[] = [];
  proposedEndAtMs?: number;
  grantedAtMs?: number;
  plannedEndAtMs?: number;
  revokeRequest?: RevokeRequest;
  /** Open vending leases: lease id → expiry (workflow time, ms). */
  readonly leases = new Map<string, number>();
  lastUseAtMs?: number;
  /** The latest credential issue time recorded (ms), including issues past the list's cap. */
  latestIssueMs?: number;
  ratifiedAnnounced = false;
  /** The planned end the requester was last warned about (a new end after an extension re-arms it). */
  warnedForEndMs?: number;
  /** Where the request's chat card is, once a notifier has posted it. */
  cardRef?: CardRef;
  /** Whether the worker's policy accepted the input (hardened runs check it before anything else). */
  inputCheck: 'pending' | 'accepted' | 'rejected';
  readonly counts: RecordCounts = { credentials: 0, sessions: 0, refusals: 0, omitted: 0 };
  readonly status: BreakGlassStatus;

  constructor(
    readonly input: BreakGlassInput,
    nowMs: number,
    /** Runs recorded before the trust hardening replay the old rules (see the workflow's patch). */
    readonly hardened = false,
  ) {
    this.inputCheck = hardened ? 'pending' : 'accepted';
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
    if (input.role.stepUp) this.status.stepUp = true;
    if (input.via === 'drill') this.status.drill = true;
  }

  log(nowMs: number, event: string, by?: string, detail?: string): void {
    if (this.hardened && this.status.timeline.length >= MAX_TIMELINE_EVENTS) {
      this.counts.omitted++;
      return;
    }
    const e: BreakGlassStatus['timeline'][number] = { at: iso(nowMs), event };
    if (by !== undefined) e.by = by;
    if (detail !== undefined) e.detail = detail;
    this.status.timeline.push(e);
  }

  /** Logs a noisy event while its kind is under its cap; past it, only counts (the summary says how many). */
  private logNoisy(kind: NoisyEvent, nowMs: number, event: string, by?: string, detail?: string): void {
    this.counts[kind]++;
    if (this.hardened && this.counts[kind] > NOISY_CAPS[kind]) this.counts.omitted++;
    else this.log(nowMs, event, by, detail);
  }

  openRound(kind: BreakGlassRoundKind, nowMs: number, deadlineMs: number): ApprovalRound {
    const extensions = this.rounds.filter((r) => r.config.kind === 'extension').length;
    const round = new ApprovalRound({
      id: kind === 'extension' ? `extension-${extensions + 1}` : kind,
      kind,
      requester: this.input.requester,
      eligible: this.input.role.approvers,
      quorum: this.input.role.quorum,
      openedAt: iso(nowMs),
      deadlineAt: iso(deadlineMs),
    });
    this.rounds.push(round);
    if (kind === 'grant') this.grantRound = round;
    else if (kind === 'ratification') this.ratificationRound = round;
    else this.extensionRound = round;
    return round;
  }

  /** The request's own round: approval first, or ratification after a post-hoc grant. */
  get ownRoundId(): string {
    return this.input.role.mode === 'post-hoc' ? 'ratification' : 'grant';
  }

  /**
   * The round a decision applies to. Decisions name their round (invariant 10); only histories
   * recorded before rounds were named carry none, and they replay the old choice (the open
   * extension first, else ratification, else grant).
   */
  decisionRound(named: string | undefined): ApprovalRound {
    if (this.phase === 'revoking' || this.phase === 'ended') refuse(DecisionErrors.notOpen, 'there is no decision pending on this request: it has ended');
    if (named === undefined) {
      if (this.hardened) refuse(DecisionErrors.roundRequired, `say which round you decide: ${this.ownRoundId}${this.extensionRound ? ` or ${this.extensionRound.config.id}` : ''}`);
      const legacy = [this.extensionRound, this.ratificationRound, this.grantRound].filter((r): r is ApprovalRound => r !== undefined);
      const round = legacy.find((r) => r.isOpen) ?? legacy[0];
      if (!round) refuse(DecisionErrors.notOpen, 'there is no decision pending on this request');
      return round;
    }
    const round = this.rounds.find((r) => r.config.id === named);
    if (!round) {
      const known = this.rounds.map((r) => r.config.id).join(', ') || 'none yet';
      refuse(DecisionErrors.unknownRound, `this request has no round "${named.slice(0, 40)}" (its rounds: ${known})`);
    }
    return round;
  }

  /** Validator of the approve Update (never mutates). */
  validateApprove(d: DecisionInput): ApprovalRound {
    const round = this.decisionRound(d.round);
    this.validateChannel(d);
    refuseSecretText('comment', d.comment);
    round.validateApprove(d.approver);
    return round;
  }

  /** Validator of the deny Update (never mutates). */
  validateDeny(d: DenyInput): ApprovalRound {
    const round = this.decisionRound(d.round);
    this.validateChannel(d);
    refuseSecretText('reason', d.reason);
    round.validateDeny(d.approver, d.reason ?? '');
    return round;
  }

  private validateChannel(d: { via?: string }): void {
    if (this.input.role.stepUp && d.via === 'slack') {
      refuse(RequestErrors.stepUpRequired, `${this.input.role.name} needs step-up: decide with \`safeguard breakglass approve|deny ${this.input.grantId}\`, which proves your AWS identity`);
    }
  }

  validateRevoke(req: RevokeInput): void {
    const role = this.input.role;
    const allowed = req.by === this.input.requester || role.approvers.includes(req.by) || role.security.includes(req.by);
    if (!allowed) refuse(RequestErrors.notAllowedToRevoke, `${req.by} may not revoke this grant: only the requester, an approver or security can`);
    if (this.phase === 'ended') refuse(RequestErrors.ended, 'this request has already ended');
    // A repeat adds nothing; refusing it keeps a flood of clicks out of the history.
    if (this.hardened && (this.revokeRequest || this.phase === 'revoking')) refuse(RequestErrors.alreadyRevoking, 'this grant is already being revoked');
    refuseSecretText('reason', req.reason);
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
    if (this.hardened && this.rounds.filter((r) => r.config.kind === 'extension').length >= MAX_EXTENSIONS) {
      refuse(RequestErrors.extensionLimit, `a grant can be extended at most ${MAX_EXTENSIONS} times; request a new grant`);
    }
    if (!Number.isFinite(req.byMs) || req.byMs <= 0) refuse(RequestErrors.badDuration, 'extension must be a positive duration');
    const total = (this.plannedEndAtMs ?? 0) + req.byMs - (this.grantedAtMs ?? 0);
    if (total > this.input.role.maxDurationMs) {
      refuse(RequestErrors.overMaximum, `extension would make the grant ${Math.round(total / 60000)} min long; the role allows at most ${Math.round(this.input.role.maxDurationMs / 60000)} min`);
    }
    refuseSecretText('reason', req.reason);
  }

  validateReserve(by: string, nowMs: number): void {
    if (by !== this.input.requester) refuse(RequestErrors.notRequester, 'only the requester can use this grant');
    if (this.phase === 'revoking' || (this.phase === 'ended' && this.outcome === 'revoked')) refuse(RequestErrors.revoked, 'this grant has been revoked');
    if (this.phase !== 'active' || this.revokeRequest) refuse(RequestErrors.notActive, `this grant is not active (${this.phase})`);
    if (!this.hardened) return;
    if (this.counts.credentials >= MAX_CREDENTIAL_ISSUES) {
      refuse(RequestErrors.vendingLimit, `this grant has issued ${MAX_CREDENTIAL_ISSUES} sets of credentials; use the ones you have (each lasts up to an hour) or request a new grant`);
    }
    const open = [...this.leases.values()].filter((exp) => exp > nowMs).length;
    if (open >= MAX_OPEN_LEASES) refuse(RequestErrors.tooManyLeases, `${open} credential requests are already in flight for this grant; wait for them`);
  }

  openLeases(nowMs: number): number {
    for (const [id, exp] of this.leases) if (exp <= nowMs) this.leases.delete(id);
    return this.leases.size;
  }

  recordCredentials(issue: CredentialIssue, nowMs: number, by: string): void {
    const issuedMs = Date.parse(issue.issuedAt);
    if (Number.isFinite(issuedMs)) this.latestIssueMs = Math.max(this.latestIssueMs ?? 0, issuedMs);
    if (issue.leaseId) this.leases.delete(issue.leaseId);
    const listed = !this.hardened || this.status.credentials.length < MAX_CREDENTIAL_ISSUES;
    // Only the key id and expiry are ever kept; the caller never has the secret to give.
    if (listed) {
      this.status.credentials.push({
        accessKeyId: issue.accessKeyId,
        expiresAt: issue.expiresAt,
        issuedAt: issue.issuedAt,
        ...(issue.delivered === false ? { delivered: false } : {}),
      });
    }
    this.logNoisy('credentials', nowMs, issue.delivered === false ? 'credentials-discarded' : 'credentials-issued', by, `key ${issue.accessKeyId} until ${issue.expiresAt}`);
  }

  /** Returns true when the session is new (a repeat report merges into the first). */
  recordSession(sessionId: string, nowMs?: number, detail?: string): boolean {
    if (this.status.sessions.includes(sessionId)) return false;
    if (this.hardened && this.status.sessions.length >= MAX_RECORDED_SESSIONS) {
      this.counts.sessions++;
      this.counts.omitted++;
      return false;
    }
    this.status.sessions.push(sessionId);
    if (nowMs !== undefined) this.logNoisy('sessions', nowMs, 'session-opened', this.input.requester, detail);
    return true;
  }

  recordRefusal(r: AccessRefusal, nowMs: number): void {
    this.logNoisy('refusals', nowMs, 'access-refused', r.by, `${r.what}: ${r.code}`);
  }

  /** Recorded credential issues at or after `cutoffMs`: a receipt is never verified while one exists. */
  issuedAtOrAfter(cutoffMs: number): string[] {
    const late = this.status.credentials.filter((c) => Date.parse(c.issuedAt) >= cutoffMs).map((c) => c.accessKeyId);
    if (late.length === 0 && this.latestIssueMs !== undefined && this.latestIssueMs >= cutoffMs) late.push('(unlisted)');
    return late;
  }

  /** A fresh copy for the Query, with the rounds rendered. */
  snapshot(): BreakGlassStatus {
    const round = this.extensionRound?.isOpen ? this.extensionRound : (this.ratificationRound ?? this.grantRound);
    const s: BreakGlassStatus = { ...this.status, phase: this.phase, credentials: [...this.status.credentials], sessions: [...this.status.sessions], timeline: [...this.status.timeline] };
    if (round) s.approval = round.snapshot();
    if (this.rounds.length > 0) s.rounds = this.rounds.map((r) => r.snapshot());
    if (this.hardened) s.counts = { ...this.counts };
    if (this.outcome) s.outcome = this.outcome;
    if (this.endReason) s.endReason = this.endReason;
    if (this.grantedAtMs !== undefined) s.grantedAt = iso(this.grantedAtMs);
    if (this.plannedEndAtMs !== undefined) s.plannedEndAt = iso(this.plannedEndAtMs);
    // After an approved extension the grant is longer than asked: status shows what it is now.
    if (this.grantedAtMs !== undefined && this.plannedEndAtMs !== undefined && this.plannedEndAtMs - this.grantedAtMs !== this.status.durationMs) {
      s.requestedDurationMs = this.status.durationMs;
      s.durationMs = this.plannedEndAtMs - this.grantedAtMs;
    }
    return s;
  }
}
