// The approval gate on its own (DESIGN.md §5, §6.2): pure, no Temporal server.
import { ApprovalRound, MIN_DENY_REASON_LENGTH } from '../../workflows/shared/approval/gate';
import type { ApprovalRoundConfig } from '../../workflows/shared/approval/gate';
import { refusalType } from '../support/refusal';

const AT = '2026-01-01T00:00:00.000Z';

function round(overrides: Partial<ApprovalRoundConfig> = {}): ApprovalRound {
  return new ApprovalRound({ id: 'grant', kind: 'grant', requester: 'alice', eligible: ['bob', 'carol', 'erin'], quorum: 1, openedAt: AT, deadlineAt: '2026-01-01T00:15:00.000Z', ...overrides });
}

const refusal = refusalType;

describe('ApprovalRound', () => {
  test('the requester can never approve or deny, even when listed as eligible', () => {
    const r = round({ eligible: ['alice', 'bob'] });
    expect(refusal(() => r.validateApprove('alice'))).toBe('SelfApproval');
    expect(refusal(() => r.approve('alice', AT))).toBe('SelfApproval');
    expect(refusal(() => r.deny('alice', AT, 'a good reason'))).toBe('SelfApproval');
    expect(r.approvers).toEqual([]);
    expect(r.state).toBe('open');
    expect(r.snapshot().eligible).toEqual(['bob']);
  });

  test('only eligible people decide', () => {
    const r = round();
    expect(refusal(() => r.approve('dave', AT))).toBe('NotAnApprover');
    expect(refusal(() => r.validateDeny('dave', 'a good reason'))).toBe('NotAnApprover');
    expect(r.approvers).toEqual([]);
  });

  test('quorum counts distinct people; repeats are idempotent', () => {
    const r = round({ quorum: 2 });
    expect(r.approve('bob', AT, 'ok')).toBe(true);
    expect(r.approve('bob', AT)).toBe(false);
    expect(r.approvers).toEqual(['bob']);
    expect(r.state).toBe('open');
    expect(r.approve('carol', AT)).toBe(true);
    expect(r.state).toBe('approved');
    expect(r.isOpen).toBe(false);
    // A late repeat by someone who approved is still fine; a newcomer finds nothing pending.
    expect(r.approve('carol', AT)).toBe(false);
    // The validator refuses repeats outright, so a repeated click leaves no trace in the history.
    expect(refusal(() => r.validateApprove('carol'))).toBe('AlreadyDecided');
    expect(refusal(() => r.validateApprove('bob'))).toBe('AlreadyDecided');
    expect(refusal(() => r.approve('erin', AT))).toBe('NoDecisionPending');
    expect(r.snapshot().approvals).toEqual([{ by: 'bob', at: AT, comment: 'ok' }, { by: 'carol', at: AT }]);
  });

  test('deny needs a reason of at least the minimum length and ends the round', () => {
    const r = round({ quorum: 2 });
    r.approve('bob', AT);
    expect(refusal(() => r.deny('carol', AT, ''))).toBe('ReasonRequired');
    expect(refusal(() => r.deny('carol', AT, ` ${'x'.repeat(MIN_DENY_REASON_LENGTH - 1)}  `))).toBe('ReasonRequired');
    expect(r.state).toBe('open');
    r.deny('carol', AT, 'not during the freeze');
    expect(r.state).toBe('denied');
    expect(r.snapshot().denial).toEqual({ by: 'carol', at: AT, reason: 'not during the freeze' });
    expect(refusal(() => r.approve('erin', AT))).toBe('NoDecisionPending');
    expect(refusal(() => r.deny('erin', AT, 'me neither'))).toBe('NoDecisionPending');
  });

  test('a decided round cannot be denied afterwards', () => {
    const r = round();
    r.approve('bob', AT);
    expect(refusal(() => r.deny('carol', AT, 'too late now'))).toBe('NoDecisionPending');
    expect(r.state).toBe('approved');
  });

  test('expiry closes only an open round', () => {
    const open = round();
    open.expire();
    expect(open.state).toBe('expired');
    expect(refusal(() => open.approve('bob', AT))).toBe('NoDecisionPending');
    const approved = round();
    approved.approve('bob', AT);
    approved.expire();
    expect(approved.state).toBe('approved');
  });

  test('the snapshot carries the round config', () => {
    const s = round({ id: 'extension-1', kind: 'extension', quorum: 2 }).snapshot();
    expect(s).toEqual({ id: 'extension-1', kind: 'extension', quorum: 2, eligible: ['bob', 'carol', 'erin'], approvals: [], state: 'open', openedAt: AT, deadlineAt: '2026-01-01T00:15:00.000Z' });
  });
});

describe('ApprovalRound: validators and boundaries', () => {
  test("the validator lets an eligible person's first approval through, and refuses it once the round is closed", () => {
    const r = round({ quorum: 2 });
    expect(refusal(() => r.validateApprove('bob'))).toBeUndefined();
    r.approve('bob', AT);
    expect(refusal(() => r.validateApprove('carol'))).toBeUndefined();
    r.approve('carol', AT);
    // Approved: a newcomer finds nothing pending, and the validator says so before anything is recorded.
    expect(refusal(() => r.validateApprove('erin'))).toBe('NoDecisionPending');
    const expired = round();
    expired.expire();
    expect(refusal(() => expired.validateApprove('bob'))).toBe('NoDecisionPending');
    const denied = round();
    denied.deny('bob', AT, 'not during the freeze');
    expect(refusal(() => denied.validateApprove('carol'))).toBe('NoDecisionPending');
  });

  test('a deny reason of exactly the minimum length is enough', () => {
    const r = round();
    expect(refusal(() => r.validateDeny('bob', 'x'.repeat(MIN_DENY_REASON_LENGTH)))).toBeUndefined();
    r.deny('bob', AT, 'x'.repeat(MIN_DENY_REASON_LENGTH));
    expect(r.state).toBe('denied');
  });

  test('an approval without a comment records none', () => {
    const r = round({ quorum: 2 });
    r.approve('bob', AT);
    expect(Object.keys(r.snapshot().approvals[0] ?? {})).toEqual(['by', 'at']);
  });

  test('an undenied round has no denial in its snapshot', () => {
    const r = round();
    r.approve('bob', AT);
    expect('denial' in r.snapshot()).toBe(false);
  });
});
