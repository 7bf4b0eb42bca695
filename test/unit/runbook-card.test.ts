// The checklist card every runbook kind but break-glass renders (rotations, restore and fire
// drills): titles per kind, steps, facts, decision buttons for open rounds only (a drill's sign-off
// reads as such), the CLI hint per kind, and what a decision or a page says.
import { runbookCard, runbookDecisionReply, runbookDenyModal, runbookThreadReply, runbookTitle } from '../../shared/slack-blocks/runbook-card';
import { RUNBOOK_DECISION_ACTION, RUNBOOK_DENY_VIEW } from '../../shared/slack-blocks/ids';
import type { ApprovalSnapshot } from '../../workflows/shared/approval/gate';
import type { RunbookNotification } from '../../workflows/shared/notifications';

function card(over: Partial<RunbookNotification> = {}, rounds: ApprovalSnapshot[] = []): RunbookNotification {
  return {
    kind: 'restore-drill',
    subjectId: 'drill-restore-patients-db-1a2b3c4d',
    event: 'sign-off-needed',
    audience: ['carol'],
    severity: 'info',
    security: ['carol'],
    view: {
      title: 'Restore drill',
      target: 'patients-db',
      phase: 'sign-off',
      startedAt: '2026-12-01T00:00:00.000Z',
      steps: [
        { name: 'restore', state: 'done', detail: 'requested sg-drill-patients-db-0a1b2c3d' },
        { name: 'validate', state: 'failed', detail: 'only 3 rows <!channel>' },
        { name: 'sign-off', state: 'running' },
      ],
      facts: [{ label: 'Scores', value: 'RTO 42s (target 1h), RPO 5m (target 24h)' }],
      rounds,
    },
    ...over,
  };
}

const signOff = (state: ApprovalSnapshot['state']): ApprovalSnapshot => ({
  id: 'sign-off',
  kind: 'sign-off',
  quorum: 1,
  eligible: ['carol'],
  approvals: state === 'approved' ? [{ by: 'carol', at: '2026-12-01T00:05:00.000Z' }] : [],
  state,
  openedAt: '2026-12-01T00:01:00.000Z',
  deadlineAt: '2026-12-03T00:01:00.000Z',
});

const json = (x: unknown): string => JSON.stringify(x);
type Button = { text: { text: string }; action_id: string; value: string };
const buttons = (n: RunbookNotification): Button[] =>
  runbookCard(n).blocks.flatMap((b) => ((b as { type: string }).type === 'actions' ? ((b as unknown as { elements: Button[] }).elements) : []));

describe('runbook card', () => {
  it('names each kind, and marks a fire drill as a DRILL', () => {
    expect(runbookTitle(card())).toBe('Restore drill: patients-db');
    expect(runbookTitle(card({ kind: 'break-glass-drill', view: { ...card().view, target: 'admin-fire' } }))).toBe('DRILL — break-glass fire drill: admin-fire');
    expect(runbookTitle(card({ kind: 'kms-rotation', view: { ...card().view, target: 'phi-data' } }))).toBe('KMS key rotation: phi-data');
  });

  it('shows steps and facts, escaping what came from outside', () => {
    const text = json(runbookCard(card()));
    expect(text).toContain('RTO 42s (target 1h)');
    expect(text).toContain('only 3 rows &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it("an open sign-off round gets 'Sign off results' / 'Reject results' buttons that decide that round of that run", () => {
    const b = buttons(card({}, [signOff('open')]));
    expect(b.map((x) => x.text.text)).toEqual(['Sign off results', 'Reject results']);
    expect(b.map((x) => x.action_id)).toEqual(['restore-drill:approve', 'restore-drill:deny']);
    expect(b.every((x) => x.value === 'drill-restore-patients-db-1a2b3c4d@sign-off')).toBe(true);
    expect(b.every((x) => RUNBOOK_DECISION_ACTION.test(x.action_id))).toBe(true);
  });

  it('a decided round shows who decided and no buttons; other rounds keep Approve / Deny', () => {
    const decided = card({}, [signOff('approved')]);
    expect(buttons(decided)).toEqual([]);
    expect(json(runbookCard(decided))).toContain('approved by carol');
    const rotation = card({ kind: 'access-key-rotation', subjectId: 'rotate-key-legacy-etl-1a2b3c4d' }, [{ ...signOff('open'), id: 'delete-old-key', kind: 'delete-old-key' }]);
    expect(buttons(rotation).map((x) => x.text.text)).toEqual(['Approve', 'Deny']);
  });

  it('points at the CLI command of its kind', () => {
    expect(json(runbookCard(card()))).toContain('safeguard drill status drill-restore-patients-db-1a2b3c4d');
    expect(json(runbookCard(card({ kind: 'kms-rotation', subjectId: 'rotate-kms-phi-data-1a2b3c4d' })))).toContain('safeguard rotation status rotate-kms-phi-data-1a2b3c4d');
  });

  it('shows the outcome: passed is a success, anything else a warning', () => {
    expect(runbookCard(card({ view: { ...card().view, outcome: 'passed' } })).text).toBe('Restore drill: patients-db — passed');
    expect(json(runbookCard(card({ view: { ...card().view, outcome: 'passed' } })))).toContain(':white_check_mark: passed');
    expect(json(runbookCard(card({ view: { ...card().view, outcome: 'missed-targets' } })))).toContain(':warning: missed-targets');
  });

  it('a page in the thread is loud and names security', () => {
    const reply = runbookThreadReply(card({ event: 'sign-off-overdue', severity: 'page', detail: 'nobody has signed off' }), (id) => `<@${id}>`, { alert: true });
    expect(reply.text).toBe(':rotating_light: Restore drill: patients-db: sign-off-overdue — nobody has signed off <@carol>');
  });

  it('the deny modal and the decision reply name the run and the round', () => {
    const modal = runbookDenyModal({ workflowId: 'drill-restore-patients-db-1a2b3c4d', round: 'sign-off' });
    expect(modal.callback_id).toBe(RUNBOOK_DENY_VIEW);
    expect(JSON.parse(modal.private_metadata ?? '{}')).toEqual({ workflowId: 'drill-restore-patients-db-1a2b3c4d', round: 'sign-off' });
    expect(runbookDecisionReply('drill-restore-patients-db-1a2b3c4d', { accepted: true, duplicate: false, approvals: 1, quorum: 1, phase: 'sign-off', decided: true, round: 'sign-off', roundKind: 'sign-off', roundState: 'approved' })).toBe(
      'Recorded on `drill-restore-patients-db-1a2b3c4d`: `sign-off` is approved.',
    );
  });
});
