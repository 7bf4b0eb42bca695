import { approvalCard, quorumLine } from '../../shared/slack-blocks/approval-card';
import { auditLine, requesterDm, securityAlert, threadReply } from '../../shared/slack-blocks/messages';
import { requestModal, denyModal } from '../../shared/slack-blocks/modals';
import { homeView } from '../../shared/slack-blocks/home';
import { ACTIONS } from '../../shared/slack-blocks/ids';
import { escapeText, personLabel } from '../../shared/slack-blocks/text';
import type { RequestView } from '../../shared/slack-blocks/types';
import { loadPolicyFile } from '../../config/policy';
import { requestableRoles } from '../../config/policy/lookup';
import path from 'node:path';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));

function view(over: Partial<RequestView> = {}): RequestView {
  return {
    grantId: 'breakglass-BreakGlassAdmin-0123456789ab',
    requester: 'alice',
    role: 'BreakGlassAdmin',
    roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
    accountId: '123456789012',
    mode: 'approval',
    phase: 'pending',
    reason: 'orders database is refusing connections',
    ticket: 'INC-42',
    requestedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 30 * 60_000,
    approval: { kind: 'grant', quorum: 2, eligible: ['bob', 'carol'], approvals: [{ by: 'bob', at: '2026-01-01T00:01:00.000Z' }], state: 'open', openedAt: '2026-01-01T00:00:00.000Z', deadlineAt: '2026-01-01T00:15:00.000Z' },
    sessions: [],
    ...over,
  };
}

const all = (x: unknown): string => JSON.stringify(x);
const who = personLabel((id) => policy.people.find((p) => p.id === id)?.slackId);

describe('approval card', () => {
  it('shows requester, role, account, duration, reason, ticket, mode and quorum progress', () => {
    const card = approvalCard(view(), who);
    const text = all(card.blocks);
    expect(text).toContain('<@U0000ALICE>');
    expect(text).toContain('BreakGlassAdmin');
    expect(text).toContain('123456789012');
    expect(text).toContain('30m');
    expect(text).toContain('orders database is refusing connections');
    expect(text).toContain('INC-42');
    expect(text).toContain('approval first');
    expect(text).toContain('1 of 2 approvals: <@U00000BOB>');
  });

  it('offers Approve and Deny while the round is open, carrying the request id', () => {
    const actions = approvalCard(view()).blocks.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ACTIONS.approve, ACTIONS.deny]);
    expect(actions.elements.every((e) => e.value === 'breakglass-BreakGlassAdmin-0123456789ab')).toBe(true);
  });

  it('offers Revoke once active and nothing once ended', () => {
    const active = view({ phase: 'active', approval: { ...view().approval!, state: 'approved' }, plannedEndAt: '2026-01-01T01:00:00.000Z' });
    expect(all(approvalCard(active).blocks)).toContain(ACTIONS.revoke);
    expect(all(approvalCard(active).blocks)).not.toContain(ACTIONS.approve);
    const ended = view({ phase: 'ended', outcome: 'revoked', approval: { ...view().approval!, state: 'approved' } });
    expect(approvalCard(ended).blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('offers Ratify and Reject for an open post-hoc ratification', () => {
    const v = view({ mode: 'post-hoc', phase: 'active', approval: { ...view().approval!, kind: 'ratification', quorum: 1, approvals: [] } });
    const text = all(approvalCard(v).blocks);
    expect(text).toContain(ACTIONS.ratify);
    expect(text).toContain(ACTIONS.reject);
    expect(text).toContain('post-hoc');
  });

  it('shows who denied and why', () => {
    const v = view({ phase: 'ended', outcome: 'denied', approval: { ...view().approval!, state: 'denied', denial: { by: 'carol', at: 'x', reason: 'not an incident' } } });
    expect(quorumLine(v, who)).toBe('approval denied by <@U000CAROL>: not an incident');
    expect(all(approvalCard(v).blocks)).toContain('Denied');
  });
});

describe('escaping people text', () => {
  const nasty = 'hi <!channel> <@U0000BOSS> <https://evil.example|https://aws.amazon.com> & <!here> <#C123>';
  it('escapes &, < and > so nothing pings or disguises a link', () => {
    expect(escapeText(nasty)).not.toMatch(/[<>]/);
    expect(escapeText('a & b')).toBe('a &amp; b');
  });

  it('escapes reasons and tickets everywhere they are rendered', () => {
    const v = view({ reason: nasty, ticket: '<!channel>' });
    for (const out of [
      approvalCard(v),
      threadReply({ event: 'approval-progress', grantId: v.grantId, requester: 'alice', role: v.role, detail: nasty }, v),
      auditLine({ event: 'granted', grantId: v.grantId, requester: 'alice', role: v.role, detail: nasty }, v),
      securityAlert({ event: 'ratification-needed', grantId: v.grantId, requester: 'alice', role: v.role }, { ...v, mode: 'post-hoc' }),
      homeView({ personId: 'bob', active: [], waiting: [v], history: [] }),
    ]) {
      const s = all(out);
      expect(s).not.toContain('<!channel>');
      expect(s).not.toContain('<@U0000BOSS>');
      expect(s).not.toContain('<https://evil');
    }
    const denied = view({ phase: 'ended', outcome: 'denied', approval: { ...view().approval!, state: 'denied', denial: { by: 'bob', at: 'x', reason: nasty } } });
    expect(all(requesterDm({ event: 'denied', grantId: denied.grantId, requester: 'alice', role: denied.role }, denied))).not.toContain('<!channel>');
  });

  it('cuts very long reasons to what Block Kit accepts', () => {
    const card = approvalCard(view({ reason: 'x'.repeat(10_000) }));
    for (const b of card.blocks) if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });
});

describe('requester DM', () => {
  it('says who approved, until when, and how to get credentials', () => {
    const v = view({ phase: 'active', plannedEndAt: '2026-01-01T01:00:00.000Z', approval: { ...view().approval!, state: 'approved' } });
    const dm = requesterDm({ event: 'granted', grantId: v.grantId, requester: 'alice', role: v.role, plannedEndAt: v.plannedEndAt! }, v, who)!;
    const s = all(dm);
    expect(s).toContain('approved by <@U00000BOB>');
    expect(s).toContain('safeguard creds breakglass-BreakGlassAdmin-0123456789ab');
    expect(s).toContain('2026-01-01T01:00:00.000Z');
    expect(s).toContain(ACTIONS.revoke);
  });

  it('carries the revocation receipt at the end', () => {
    const v = view({
      phase: 'ended',
      outcome: 'revoked',
      endReason: 'expired',
      revocation: { verified: true, checkedAt: '2026-01-01T01:00:01.000Z', policyName: 'SafeguardRevoke-x', statementPresent: true, deniedSourceIdentity: 'alice', tokensIssuedBefore: '2026-01-01T01:00:00.000Z', sessionsTerminated: ['s-1'], activeSessionsLeft: [], attempts: 1 },
    });
    const s = all(requesterDm({ event: 'ended', grantId: v.grantId, requester: 'alice', role: v.role }, v));
    expect(s).toContain('Revocation receipt');
    expect(s).toContain('verified');
    expect(s).toContain('SafeguardRevoke-x');
  });

  it('warns before expiry with Extend and Revoke now', () => {
    const s = all(requesterDm({ event: 'expiry-warning', grantId: 'breakglass-BreakGlassAdmin-0123456789ab', requester: 'alice', role: 'BreakGlassAdmin', plannedEndAt: '2026-01-01T01:00:00.000Z' }, view({ phase: 'active' })));
    expect(s).toContain(ACTIONS.extend);
    expect(s).toContain(ACTIONS.revoke);
  });

  it('says nothing to the requester about approval progress', () => {
    expect(requesterDm({ event: 'approval-progress', grantId: 'x', requester: 'alice', role: 'r' }, view())).toBeUndefined();
  });
});

describe('modals and home', () => {
  it('offers only the roles the person may request', () => {
    const m = requestModal(requestableRoles(policy, 'alice'));
    const s = all(m);
    expect(s).toContain('BreakGlassAdmin');
    expect(s).toContain('PostHocAdmin');
    const bobRoles = requestableRoles(policy, 'bob').map((r) => r.name);
    expect(bobRoles).toEqual(['BreakGlassReadOnly']);
    expect(all(requestModal(requestableRoles(policy, 'bob')))).not.toContain('PostHocAdmin');
  });

  it('keeps the deny modal request id and round in private metadata', () => {
    const m = denyModal({ grantId: 'breakglass-BreakGlassAdmin-0123456789ab', round: 'extension-2', kind: 'deny', channel: 'C0APPROVERS' });
    expect(JSON.parse(m.private_metadata!)).toEqual({ grantId: 'breakglass-BreakGlassAdmin-0123456789ab', round: 'extension-2', kind: 'deny', channel: 'C0APPROVERS' });
    expect(JSON.stringify(m)).toContain('Deny extension');
  });

  it('renders App Home sections', () => {
    const s = all(homeView({ personId: 'bob', active: [], waiting: [view()], history: [{ workflowId: 'breakglass-BreakGlassReadOnly-aaaaaaaa', status: 'COMPLETED', outcome: 'revoked', startTime: '2026-01-01T00:00:00.000Z' }] }));
    expect(s).toContain('Waiting for my decision');
    expect(s).toContain(ACTIONS.approve);
    expect(s).toContain('breakglass-BreakGlassReadOnly-aaaaaaaa');
  });
});

describe('audit line', () => {
  it('is one line per state change', () => {
    const m = auditLine({ event: 'granted', grantId: 'breakglass-BreakGlassAdmin-0123456789ab', requester: 'alice', role: 'BreakGlassAdmin', phase: 'active' }, view(), new Date('2026-01-01T00:00:00Z'));
    expect(m.text).not.toContain('\n');
    expect(m.text).toContain('2026-01-01T00:00:00.000Z breakglass-BreakGlassAdmin-0123456789ab granted requester=alice role=BreakGlassAdmin phase=active');
  });
});
