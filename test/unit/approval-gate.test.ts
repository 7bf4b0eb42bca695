// The approval gate on its own (DESIGN.md §5, §6.2): pure, no Temporal server.
import { ApplicationFailure } from '@temporalio/workflow';
import { ApprovalRound, MIN_DENY_REASON_LENGTH } from '../../workflows/approval/gate';
import type { ApprovalRoundConfig } from '../../workflows/approval/gate';

const AT = '2026-01-01T00:00:00.000Z';

function round(overrides: Partial<ApprovalRoundConfig> = {}): ApprovalRound {
  return new ApprovalRound({ kind: 'grant', requester: 'alice', eligible: ['bob', 'carol', 'erin'], quorum: 1, openedAt: AT, deadlineAt: '2026-01-01T00:15:00.000Z', ...overrides });
}

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return (err as ApplicationFailure).type ?? undefined;
  }
  return undefined;
}

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
    const s = round({ kind: 'extension', quorum: 2 }).snapshot();
    expect(s).toEqual({ kind: 'extension', quorum: 2, eligible: ['bob', 'carol', 'erin'], approvals: [], state: 'open', openedAt: AT, deadlineAt: '2026-01-01T00:15:00.000Z' });
  });
});
