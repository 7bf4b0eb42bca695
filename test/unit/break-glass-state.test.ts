// BreakGlassState on its own (DESIGN.md §5, §6.2, §6.4, §6.10): the rules the breakGlass workflow's
// Update validators apply, the caps that keep a grant's history bounded, and the cut-off check a
// revocation receipt relies on. Pure: no Temporal server.
import { BreakGlassState, refuseSecretText } from '../../workflows/break-glass/state';
import {
  MAX_CREDENTIAL_ISSUES,
  MAX_EXTENSIONS,
  MAX_OPEN_LEASES,
  MAX_RECORDED_REFUSALS,
  MAX_RECORDED_SESSIONS,
  MAX_TIMELINE_EVENTS,
} from '../../workflows/break-glass/definitions';
import type { BreakGlassInput, CredentialIssue, RoleSnapshot } from '../../workflows/break-glass/definitions';
import { refusalType } from '../support/refusal';
import { roleSnapshot } from '../support/break-glass-input';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
/** Shaped like an AWS secret access key: never allowed into history. */
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function input(role: Partial<RoleSnapshot> = {}, over: Partial<BreakGlassInput> = {}): BreakGlassInput {
  return {
    grantId: 'breakglass-BreakGlassAdmin-0123456789',
    requester: 'alice',
    durationMs: 30 * MIN,
    reason: 'orders database is down',
    via: 'cli',
    ...over,
    role: roleSnapshot({ approvers: ['alice', 'bob', 'erin'], ...role }),
  };
}

const state = (role: Partial<RoleSnapshot> = {}, hardened = true, over: Partial<BreakGlassInput> = {}): BreakGlassState => new BreakGlassState(input(role, over), T0, hardened);

/** A hardened request whose grant round was approved and whose grant is active for 30 minutes. */
function active(role: Partial<RoleSnapshot> = {}, hardened = true): BreakGlassState {
  const s = state(role, hardened);
  s.openRound('grant', T0, T0 + 15 * MIN).approve('bob', iso(T0));
  s.phase = 'active';
  s.grantedAtMs = T0;
  s.plannedEndAtMs = T0 + 30 * MIN;
  return s;
}

const refusal = refusalType;

const issue = (n: number, issuedMs: number, over: Partial<CredentialIssue> = {}): CredentialIssue => ({
  accessKeyId: `ASIAEXAMPLE${String(n).padStart(9, '0')}`,
  expiresAt: iso(issuedMs + 60 * MIN),
  issuedAt: iso(issuedMs),
  ...over,
});

describe('BreakGlassState: the status it starts with', () => {
  test('a hardened request waits for the policy check; a replayed legacy one was accepted as it is', () => {
    expect(state().inputCheck).toBe('pending');
    expect(state({}, false).inputCheck).toBe('accepted');
    // Without the flag: the old rules, for histories recorded before the hardening.
    const legacy = new BreakGlassState(input(), T0);
    expect(legacy.hardened).toBe(false);
    expect(legacy.inputCheck).toBe('accepted');
    expect(state().phase).toBe('pending');
    expect(state().ratifiedAnnounced).toBe(false);
  });

  test('the status names the request, its role and when it was made', () => {
    const s = state({}, true, { ticket: 'INC-42' });
    expect(s.status).toEqual({
      grantId: 'breakglass-BreakGlassAdmin-0123456789',
      requester: 'alice',
      role: 'BreakGlassAdmin',
      roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
      accountId: '123456789012',
      mode: 'approval',
      phase: 'pending',
      reason: 'orders database is down',
      ticket: 'INC-42',
      requestedAt: '2026-03-01T12:00:00.000Z',
      durationMs: 30 * MIN,
      credentials: [],
      sessions: [],
      timeline: [],
    });
    expect('ticket' in state().status).toBe(false);
    expect('stepUp' in state().status).toBe(false);
    expect(state({ stepUp: true }).status.stepUp).toBe(true);
  });
});

describe('BreakGlassState: rounds are named (invariant 10)', () => {
  test('the grant, ratification and each extension get their own round id', () => {
    const s = state({ quorum: 2 });
    const grant = s.openRound('grant', T0, T0 + 15 * MIN);
    const rat = s.openRound('ratification', T0, T0 + 60 * MIN);
    const e1 = s.openRound('extension', T0 + MIN, T0 + 16 * MIN);
    const e2 = s.openRound('extension', T0 + 2 * MIN, T0 + 17 * MIN);
    expect(s.rounds.map((r) => r.config.id)).toEqual(['grant', 'ratification', 'extension-1', 'extension-2']);
    expect(s.grantRound).toBe(grant);
    expect(s.ratificationRound).toBe(rat);
    expect(s.extensionRound).toBe(e2);
    expect(e1.config).toEqual({
      id: 'extension-1',
      kind: 'extension',
      requester: 'alice',
      eligible: ['alice', 'bob', 'erin'],
      quorum: 2,
      openedAt: iso(T0 + MIN),
      deadlineAt: iso(T0 + 16 * MIN),
    });
  });

  test("the request's own round is the grant, or the ratification of a post-hoc grant", () => {
    expect(state().ownRoundId).toBe('grant');
    expect(state({ mode: 'post-hoc' }).ownRoundId).toBe('ratification');
  });

  test('a decision is applied to the round it names, never to another open one', () => {
    const s = active();
    const ext = s.openRound('extension', T0 + MIN, T0 + 16 * MIN);
    expect(s.decisionRound('extension-1')).toBe(ext);
    expect(s.decisionRound('grant')).toBe(s.grantRound);
    expect(s.validateApprove({ approver: 'erin', round: 'extension-1' })).toBe(ext);
    // The grant round is decided: naming it is refused, even though an extension is open.
    expect(refusal(() => s.validateApprove({ approver: 'erin', round: 'grant' }))).toBe('NoDecisionPending');
  });

  test('refuses a decision naming a round the request does not have', () => {
    const s = state();
    expect(refusal(() => s.decisionRound('grant'))).toBe('UnknownRound');
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.decisionRound('extension-1'))).toBe('UnknownRound');
    expect(refusal(() => s.validateDeny({ approver: 'bob', round: 'ratification', reason: 'not now please' }))).toBe('UnknownRound');
  });

  test('refuses a decision that names no round on a hardened request', () => {
    const s = state();
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.decisionRound(undefined))).toBe('RoundRequired');
    expect(refusal(() => s.validateApprove({ approver: 'bob' }))).toBe('RoundRequired');
  });

  test('refuses a decision for a request that has ended or is being revoked', () => {
    for (const phase of ['revoking', 'ended'] as const) {
      const s = active();
      s.phase = phase;
      expect(refusal(() => s.decisionRound('grant'))).toBe('NoDecisionPending');
      expect(refusal(() => s.decisionRound(undefined))).toBe('NoDecisionPending');
    }
    // Pending and active requests still take decisions on their rounds.
    const pending = state();
    pending.openRound('grant', T0, T0 + 15 * MIN);
    expect(pending.decisionRound('grant')).toBe(pending.grantRound);
    const s = active();
    const ext = s.openRound('extension', T0, T0 + 15 * MIN);
    expect(s.decisionRound('extension-1')).toBe(ext);
  });

  test('a legacy history without round names replays the old choice: open extension, else ratification, else grant', () => {
    const s = state({ quorum: 1 }, false);
    expect(refusal(() => s.decisionRound(undefined))).toBe('NoDecisionPending');
    const grant = s.openRound('grant', T0, T0 + 15 * MIN);
    expect(s.decisionRound(undefined)).toBe(grant);
    grant.approve('bob', iso(T0));
    // Only closed rounds: the first in the legacy order that exists.
    expect(s.decisionRound(undefined)).toBe(grant);
    const rat = s.openRound('ratification', T0, T0 + 60 * MIN);
    expect(s.decisionRound(undefined)).toBe(rat);
    const ext = s.openRound('extension', T0, T0 + 15 * MIN);
    expect(s.decisionRound(undefined)).toBe(ext);
    ext.approve('bob', iso(T0));
    // The extension is decided; the ratification is still open.
    expect(s.decisionRound(undefined)).toBe(rat);
    rat.approve('erin', iso(T0));
    expect(s.decisionRound(undefined)).toBe(ext);
  });
});

describe('BreakGlassState: decision validators', () => {
  test('an eligible approver may approve and deny the named open round', () => {
    const s = state();
    const grant = s.openRound('grant', T0, T0 + 15 * MIN);
    expect(s.validateApprove({ approver: 'bob', round: 'grant', comment: 'looks right', via: 'slack' })).toBe(grant);
    expect(s.validateDeny({ approver: 'bob', round: 'grant', reason: 'not during the freeze', via: 'cli' })).toBe(grant);
    // Validators never change the state.
    expect(grant.approvers).toEqual([]);
    expect(grant.state).toBe('open');
  });

  test('the requester can never decide, even when listed as an approver', () => {
    const s = state();
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.validateApprove({ approver: 'alice', round: 'grant' }))).toBe('SelfApproval');
    expect(refusal(() => s.validateDeny({ approver: 'alice', round: 'grant', reason: 'a good reason' }))).toBe('SelfApproval');
  });

  test('a deny without a reason is refused', () => {
    const s = state();
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.validateDeny({ approver: 'bob', round: 'grant' } as never))).toBe('ReasonRequired');
    expect(refusal(() => s.validateDeny({ approver: 'bob', round: 'grant', reason: '  ' }))).toBe('ReasonRequired');
  });

  test('a step-up role refuses decisions clicked in Slack, and takes them from the CLI or the api', () => {
    const s = state({ stepUp: true });
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.validateApprove({ approver: 'bob', round: 'grant', via: 'slack' }))).toBe('StepUpRequired');
    expect(refusal(() => s.validateDeny({ approver: 'bob', round: 'grant', reason: 'not now please', via: 'slack' }))).toBe('StepUpRequired');
    expect(refusal(() => s.validateApprove({ approver: 'bob', round: 'grant', via: 'cli' }))).toBeUndefined();
    expect(refusal(() => s.validateApprove({ approver: 'bob', round: 'grant', via: 'api' }))).toBeUndefined();
  });

  test('refuses a comment or deny reason that holds a secret', () => {
    const s = state();
    s.openRound('grant', T0, T0 + 15 * MIN);
    expect(refusal(() => s.validateApprove({ approver: 'bob', round: 'grant', comment: `use ${SECRET}` }))).toBe('SecretInText');
    expect(refusal(() => s.validateDeny({ approver: 'bob', round: 'grant', reason: `leaked ${SECRET}` }))).toBe('SecretInText');
    expect(refusal(() => refuseSecretText('reason', undefined))).toBeUndefined();
    expect(refusal(() => refuseSecretText('reason', 'an ordinary reason'))).toBeUndefined();
  });
});

describe('BreakGlassState: revoke', () => {
  test('the requester, an approver or security may revoke; anyone else is refused', () => {
    const s = active();
    for (const by of ['alice', 'bob', 'carol']) expect(refusal(() => s.validateRevoke({ by }))).toBeUndefined();
    expect(refusal(() => s.validateRevoke({ by: 'mallory' }))).toBe('NotAllowedToRevoke');
    // A requester who is neither an approver nor security may still revoke their own grant.
    const own = active({ approvers: ['bob'] });
    expect(refusal(() => own.validateRevoke({ by: 'alice' }))).toBeUndefined();
    expect(own.revokeEndReason('alice')).toBe('revoked-by-requester');
    expect(s.revokeEndReason('alice')).toBe('revoked-by-requester');
    expect(s.revokeEndReason('bob')).toBe('revoked-by-approver');
    expect(s.revokeEndReason('carol')).toBe('revoked-by-security');
  });

  test('refuses to revoke a request that has ended', () => {
    const s = active();
    s.phase = 'ended';
    expect(refusal(() => s.validateRevoke({ by: 'alice' }))).toBe('RequestEnded');
  });

  test('a hardened grant refuses a repeated revoke; a legacy one accepts it', () => {
    const requested = active();
    requested.revokeRequest = { by: 'bob', at: T0, endReason: 'revoked-by-approver' };
    expect(refusal(() => requested.validateRevoke({ by: 'alice' }))).toBe('AlreadyRevoking');
    const revoking = active();
    revoking.phase = 'revoking';
    expect(refusal(() => revoking.validateRevoke({ by: 'alice' }))).toBe('AlreadyRevoking');
    const legacy = active({}, false);
    legacy.phase = 'revoking';
    legacy.revokeRequest = { by: 'bob', at: T0, endReason: 'revoked-by-approver' };
    expect(refusal(() => legacy.validateRevoke({ by: 'alice' }))).toBeUndefined();
  });

  test('refuses a revoke reason that holds a secret', () => {
    expect(refusal(() => active().validateRevoke({ by: 'alice', reason: `oops ${SECRET}` }))).toBe('SecretInText');
  });
});

describe('BreakGlassState: extend', () => {
  test('only the requester extends, only an active grant, one extension at a time', () => {
    expect(refusal(() => active().validateExtend({ requester: 'bob', byMs: 30 * MIN }))).toBe('NotTheRequester');
    expect(refusal(() => state().validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBe('GrantNotActive');
    const revoked = active();
    revoked.revokeRequest = { by: 'alice', at: T0, endReason: 'revoked-by-requester' };
    expect(refusal(() => revoked.validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBe('GrantNotActive');
    const s = active();
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 30 * MIN, reason: 'still fixing it' }))).toBeUndefined();
    const ext = s.openRound('extension', T0, T0 + 15 * MIN);
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBe('ExtensionAlreadyPending');
    ext.approve('bob', iso(T0));
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBeUndefined();
  });

  test(`a hardened grant is extended at most ${MAX_EXTENSIONS} times`, () => {
    const s = active();
    const legacy = active({}, false);
    for (let i = 0; i < MAX_EXTENSIONS; i++) {
      expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: MIN }))).toBeUndefined();
      s.openRound('extension', T0, T0 + MIN).expire();
      legacy.openRound('extension', T0, T0 + MIN).expire();
    }
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: MIN }))).toBe('ExtensionLimitReached');
    expect(refusal(() => legacy.validateExtend({ requester: 'alice', byMs: MIN }))).toBeUndefined();
  });

  test('refuses a zero, negative or non-finite extension', () => {
    const s = active();
    for (const byMs of [0, -MIN, Number.NaN, Number.POSITIVE_INFINITY]) expect(refusal(() => s.validateExtend({ requester: 'alice', byMs }))).toBe('InvalidDuration');
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 1 }))).toBeUndefined();
  });

  test("refuses an extension past the role's maximum, counted from the grant; exactly the maximum is allowed", () => {
    const s = active({ maxDurationMs: 60 * MIN });
    // Granted at T0 until T0+30m: 30 more minutes reach the 60-minute maximum exactly.
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBeUndefined();
    expect(refusal(() => s.validateExtend({ requester: 'alice', byMs: 30 * MIN + 1 }))).toBe('DurationOverMaximum');
    // Counted from when it was granted, not from the epoch or the request.
    const later = active({ maxDurationMs: 60 * MIN });
    later.grantedAtMs = T0 + 10 * MIN;
    later.plannedEndAtMs = T0 + 40 * MIN;
    expect(refusal(() => later.validateExtend({ requester: 'alice', byMs: 30 * MIN }))).toBeUndefined();
    expect(refusal(() => later.validateExtend({ requester: 'alice', byMs: 31 * MIN }))).toBe('DurationOverMaximum');
  });

  test('refuses an extension reason that holds a secret', () => {
    expect(refusal(() => active().validateExtend({ requester: 'alice', byMs: MIN, reason: SECRET }))).toBe('SecretInText');
  });
});

describe('BreakGlassState: credential vending (validateReserve)', () => {
  test('only the requester, only while the grant is active', () => {
    const s = active();
    expect(refusal(() => s.validateReserve('alice', T0))).toBeUndefined();
    expect(refusal(() => s.validateReserve('bob', T0))).toBe('NotTheRequester');
    expect(refusal(() => state().validateReserve('alice', T0))).toBe('GrantNotActive');
    const requested = active();
    requested.revokeRequest = { by: 'bob', at: T0, endReason: 'revoked-by-approver' };
    expect(refusal(() => requested.validateReserve('alice', T0))).toBe('GrantNotActive');
  });

  test('a grant being revoked, or ended by revocation, says so; another ended grant is not active', () => {
    const revoking = active();
    revoking.phase = 'revoking';
    expect(refusal(() => revoking.validateReserve('alice', T0))).toBe('GrantRevoked');
    const revoked = active();
    revoked.phase = 'ended';
    revoked.outcome = 'revoked';
    expect(refusal(() => revoked.validateReserve('alice', T0))).toBe('GrantRevoked');
    const denied = state();
    denied.phase = 'ended';
    denied.outcome = 'denied';
    expect(refusal(() => denied.validateReserve('alice', T0))).toBe('GrantNotActive');
  });

  test(`a hardened grant refuses the ${MAX_CREDENTIAL_ISSUES + 1}th set of credentials; a legacy one does not count`, () => {
    const s = active();
    const legacy = active({}, false);
    for (let i = 0; i < MAX_CREDENTIAL_ISSUES; i++) {
      expect(refusal(() => s.validateReserve('alice', T0))).toBeUndefined();
      s.recordCredentials(issue(i, T0), T0, 'alice');
      legacy.recordCredentials(issue(i, T0), T0, 'alice');
    }
    expect(refusal(() => s.validateReserve('alice', T0))).toBe('VendingLimitReached');
    expect(refusal(() => legacy.validateReserve('alice', T0))).toBeUndefined();
  });

  test(`refuses a new lease while ${MAX_OPEN_LEASES} unexpired leases are open`, () => {
    const s = active();
    for (let i = 0; i < MAX_OPEN_LEASES - 1; i++) s.leases.set(`l${i}`, T0 + 20_000);
    expect(refusal(() => s.validateReserve('alice', T0))).toBeUndefined();
    s.leases.set('last', T0 + 20_000);
    expect(refusal(() => s.validateReserve('alice', T0))).toBe('TooManyLeases');
    // A lease that expires exactly now is no longer open.
    s.leases.set('last', T0);
    expect(refusal(() => s.validateReserve('alice', T0))).toBeUndefined();
    s.leases.set('last', T0 + 1);
    expect(refusal(() => s.validateReserve('alice', T0))).toBe('TooManyLeases');
    // Once they expire, vending continues.
    expect(refusal(() => s.validateReserve('alice', T0 + 20_000))).toBeUndefined();
    const legacy = active({}, false);
    for (let i = 0; i < MAX_OPEN_LEASES + 3; i++) legacy.leases.set(`l${i}`, T0 + 20_000);
    expect(refusal(() => legacy.validateReserve('alice', T0))).toBeUndefined();
  });

  test('openLeases drops the leases that have expired (at their expiry) and counts the rest', () => {
    const s = active();
    s.leases.set('a', T0 - 1);
    s.leases.set('b', T0);
    s.leases.set('c', T0 + 1);
    expect(s.openLeases(T0)).toBe(1);
    expect([...s.leases.keys()]).toEqual(['c']);
    expect(s.openLeases(T0 + 1)).toBe(0);
  });
});

describe('BreakGlassState: recording credentials, sessions and refusals', () => {
  test('keeps only the key id, expiry and issue time of credentials, and closes their lease', () => {
    const s = active();
    s.leases.set('lease-1', T0 + 20_000);
    s.leases.set('lease-2', T0 + 20_000);
    const withSecret = { ...issue(1, T0), leaseId: 'lease-1', secretAccessKey: SECRET, sessionToken: 'tok' } as CredentialIssue;
    s.recordCredentials(withSecret, T0 + 1000, 'alice');
    expect(s.status.credentials).toEqual([{ accessKeyId: 'ASIAEXAMPLE000000001', expiresAt: iso(T0 + 60 * MIN), issuedAt: iso(T0) }]);
    expect(Object.keys(s.status.credentials[0] ?? {})).toEqual(['accessKeyId', 'expiresAt', 'issuedAt']);
    expect([...s.leases.keys()]).toEqual(['lease-2']);
    expect(s.status.timeline).toEqual([{ at: iso(T0 + 1000), event: 'credentials-issued', by: 'alice', detail: `key ASIAEXAMPLE000000001 until ${iso(T0 + 60 * MIN)}` }]);
    expect(JSON.stringify(s.snapshot())).not.toContain(SECRET);
    expect(s.counts.credentials).toBe(1);
  });

  test('records credentials the api discarded as discarded', () => {
    const s = active();
    s.recordCredentials(issue(1, T0, { delivered: false }), T0, 'alice');
    s.recordCredentials(issue(2, T0, { delivered: true }), T0, 'alice');
    expect(s.status.credentials.map((c) => c.delivered)).toEqual([false, undefined]);
    expect('delivered' in (s.status.credentials[1] ?? {})).toBe(false);
    expect(s.status.timeline.map((e) => e.event)).toEqual(['credentials-discarded', 'credentials-issued']);
  });

  test('remembers the latest issue time even past the listed cap, and ignores unparsable times', () => {
    const s = active();
    s.recordCredentials(issue(1, T0 + 5 * MIN), T0, 'alice');
    s.recordCredentials(issue(2, T0 + 2 * MIN), T0, 'alice');
    expect(s.latestIssueMs).toBe(T0 + 5 * MIN);
    s.recordCredentials(issue(3, T0, { issuedAt: 'not a time' }), T0, 'alice');
    expect(s.latestIssueMs).toBe(T0 + 5 * MIN);
    const fresh = active();
    fresh.recordCredentials(issue(4, T0, { issuedAt: 'garbage' }), T0, 'alice');
    expect(fresh.latestIssueMs).toBeUndefined();
  });

  test(`a hardened grant lists ${MAX_CREDENTIAL_ISSUES} credential issues and counts the rest`, () => {
    const s = active();
    const legacy = active({}, false);
    for (let i = 0; i < MAX_CREDENTIAL_ISSUES + 3; i++) {
      s.recordCredentials(issue(i, T0 + i * 1000), T0 + i * 1000, 'alice');
      legacy.recordCredentials(issue(i, T0 + i * 1000), T0 + i * 1000, 'alice');
    }
    expect(s.status.credentials).toHaveLength(MAX_CREDENTIAL_ISSUES);
    expect(s.status.timeline).toHaveLength(MAX_CREDENTIAL_ISSUES);
    expect(s.counts).toEqual({ credentials: MAX_CREDENTIAL_ISSUES + 3, sessions: 0, refusals: 0, omitted: 3 });
    expect(s.latestIssueMs).toBe(T0 + (MAX_CREDENTIAL_ISSUES + 2) * 1000);
    expect(legacy.status.credentials).toHaveLength(MAX_CREDENTIAL_ISSUES + 3);
    expect(legacy.status.timeline).toHaveLength(MAX_CREDENTIAL_ISSUES + 3);
    expect(legacy.counts.omitted).toBe(0);
  });

  test('a repeated session report merges into the first', () => {
    const s = active();
    expect(s.recordSession('alice-0a1b2c', T0, 'alice-0a1b2c on i-0123456789abcdef0')).toBe(true);
    expect(s.recordSession('alice-0a1b2c', T0 + 1)).toBe(false);
    expect(s.status.sessions).toEqual(['alice-0a1b2c']);
    expect(s.status.timeline).toEqual([{ at: iso(T0), event: 'session-opened', by: 'alice', detail: 'alice-0a1b2c on i-0123456789abcdef0' }]);
    expect(s.counts.sessions).toBe(1);
    // Without a time (legacy callers) the session is listed but not logged.
    expect(s.recordSession('alice-ffff')).toBe(true);
    expect(s.status.sessions).toEqual(['alice-0a1b2c', 'alice-ffff']);
    expect(s.status.timeline).toHaveLength(1);
  });

  test(`a hardened grant lists ${MAX_RECORDED_SESSIONS} sessions and counts the rest`, () => {
    const s = active();
    const legacy = active({}, false);
    for (let i = 0; i < MAX_RECORDED_SESSIONS; i++) {
      expect(s.recordSession(`s-${i}`, T0)).toBe(true);
      legacy.recordSession(`s-${i}`, T0);
    }
    expect(s.recordSession('one-too-many', T0)).toBe(false);
    expect(s.recordSession('two-too-many', T0)).toBe(false);
    expect(s.status.sessions).toHaveLength(MAX_RECORDED_SESSIONS);
    expect(s.status.sessions).not.toContain('one-too-many');
    expect(s.counts).toMatchObject({ sessions: MAX_RECORDED_SESSIONS + 2, omitted: 2 });
    expect(legacy.recordSession('one-too-many', T0)).toBe(true);
    expect(legacy.status.sessions).toHaveLength(MAX_RECORDED_SESSIONS + 1);
  });

  test(`a hardened grant logs ${MAX_RECORDED_REFUSALS} refused uses and counts the rest`, () => {
    const s = active();
    s.recordRefusal({ by: 'alice', code: 'GrantNotActive', what: 'credentials' }, T0);
    expect(s.status.timeline).toEqual([{ at: iso(T0), event: 'access-refused', by: 'alice', detail: 'credentials: GrantNotActive' }]);
    for (let i = 1; i < MAX_RECORDED_REFUSALS + 4; i++) s.recordRefusal({ by: 'alice', code: 'GrantNotActive', what: 'session' }, T0);
    expect(s.status.timeline).toHaveLength(MAX_RECORDED_REFUSALS);
    expect(s.counts).toMatchObject({ refusals: MAX_RECORDED_REFUSALS + 4, omitted: 4 });
  });

  test(`a hardened timeline keeps ${MAX_TIMELINE_EVENTS} events and counts the rest; a legacy one keeps all`, () => {
    const s = state();
    const legacy = state({}, false);
    for (let i = 0; i < MAX_TIMELINE_EVENTS + 2; i++) {
      s.log(T0 + i, `event-${i}`);
      legacy.log(T0 + i, `event-${i}`);
    }
    expect(s.status.timeline).toHaveLength(MAX_TIMELINE_EVENTS);
    expect(s.status.timeline[MAX_TIMELINE_EVENTS - 1]?.event).toBe(`event-${MAX_TIMELINE_EVENTS - 1}`);
    expect(s.counts.omitted).toBe(2);
    expect(legacy.status.timeline).toHaveLength(MAX_TIMELINE_EVENTS + 2);
    expect(legacy.counts.omitted).toBe(0);
  });

  test('a timeline event carries who and what only when given', () => {
    const s = state();
    s.log(T0, 'requested');
    s.log(T0, 'approved', 'bob');
    s.log(T0, 'noted', undefined, 'detail');
    expect(s.status.timeline).toEqual([
      { at: iso(T0), event: 'requested' },
      { at: iso(T0), event: 'approved', by: 'bob' },
      { at: iso(T0), event: 'noted', detail: 'detail' },
    ]);
    expect(Object.keys(s.status.timeline[0] ?? {})).toEqual(['at', 'event']);
  });
});

describe('BreakGlassState: credentials issued at or after a revocation cut-off (receipt)', () => {
  test('names every listed credential issued at or after the cut-off', () => {
    const s = active();
    s.recordCredentials(issue(1, T0 - 1), T0, 'alice');
    s.recordCredentials(issue(2, T0), T0, 'alice');
    s.recordCredentials(issue(3, T0 + 1), T0, 'alice');
    expect(s.issuedAtOrAfter(T0)).toEqual(['ASIAEXAMPLE000000002', 'ASIAEXAMPLE000000003']);
    expect(s.issuedAtOrAfter(T0 + 2)).toEqual([]);
  });

  test('a late issue past the listed cap still blocks a verified receipt', () => {
    const s = active();
    for (let i = 0; i < MAX_CREDENTIAL_ISSUES; i++) s.recordCredentials(issue(i, T0 - 10 * MIN), T0, 'alice');
    // Unlisted (past the cap), issued exactly at the cut-off.
    s.recordCredentials(issue(99, T0), T0, 'alice');
    expect(s.status.credentials.some((c) => c.accessKeyId === 'ASIAEXAMPLE000000099')).toBe(false);
    expect(s.issuedAtOrAfter(T0)).toEqual(['(unlisted)']);
    expect(s.issuedAtOrAfter(T0 + 1)).toEqual([]);
  });

  test('nothing recorded, nothing late', () => {
    expect(active().issuedAtOrAfter(T0)).toEqual([]);
  });
});

describe('BreakGlassState: the status snapshot', () => {
  test('shows the open extension, else the ratification, else the grant round', () => {
    const s = active();
    expect(s.snapshot().approval?.id).toBe('grant');
    const ext = s.openRound('extension', T0, T0 + 15 * MIN);
    expect(s.snapshot().approval?.id).toBe('extension-1');
    ext.approve('bob', iso(T0));
    expect(s.snapshot().approval?.id).toBe('grant');
    s.openRound('ratification', T0, T0 + 60 * MIN);
    expect(s.snapshot().approval?.id).toBe('ratification');
    expect(s.snapshot().rounds?.map((r) => r.id)).toEqual(['grant', 'extension-1', 'ratification']);
  });

  test('is a copy, with the phase, outcome, times, records and (hardened) counts', () => {
    const s = active();
    s.recordSession('sess-1', T0);
    s.recordCredentials(issue(1, T0), T0, 'alice');
    s.outcome = 'revoked';
    s.endReason = 'revoked-by-requester';
    s.phase = 'ended';
    const snap = s.snapshot();
    expect(snap).toMatchObject({
      phase: 'ended',
      outcome: 'revoked',
      endReason: 'revoked-by-requester',
      grantedAt: iso(T0),
      plannedEndAt: iso(T0 + 30 * MIN),
      counts: { credentials: 1, sessions: 1, refusals: 0, omitted: 0 },
    });
    expect(snap.sessions).toEqual(['sess-1']);
    expect(snap.credentials).toEqual([{ accessKeyId: 'ASIAEXAMPLE000000001', expiresAt: iso(T0 + 60 * MIN), issuedAt: iso(T0) }]);
    expect(snap.timeline.map((e) => e.event)).toEqual(['session-opened', 'credentials-issued']);
    // Changing the copy changes nothing in the state.
    snap.sessions.push('forged');
    snap.timeline.push({ at: iso(T0), event: 'forged' });
    snap.credentials.push(issue(2, T0));
    snap.counts!.sessions = 99;
    expect(s.status.sessions).toEqual(['sess-1']);
    expect(s.status.timeline).toHaveLength(2);
    expect(s.status.credentials).toHaveLength(1);
    expect(s.counts.sessions).toBe(1);
  });

  test('a fresh or legacy request carries no rounds, counts, outcome or times', () => {
    const legacy = state({}, false).snapshot();
    for (const k of ['approval', 'rounds', 'counts', 'outcome', 'endReason', 'grantedAt', 'plannedEndAt']) expect(k in legacy).toBe(false);
    expect(state().snapshot().counts).toEqual({ credentials: 0, sessions: 0, refusals: 0, omitted: 0 });
  });
});
