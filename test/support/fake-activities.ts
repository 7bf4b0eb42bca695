// In-memory activities for the workflow tier: they keep what the workflow asked of AWS so tests can
// assert on it, and can be told to fail a number of times first.
import type { Activities } from '../../activities';
import type { NotifyInput } from '../../activities/notify/notifier';

export interface FakeAws {
  calls: Array<{ activity: string; input: unknown }>;
  notifications: NotifyInput[];
  evidence: Array<{ id: string; kind: string; record: Record<string, unknown> }>;
  statements: Set<string>;
  sessions: Map<string, 'Active' | 'Terminated'>;
  /** activity name → remaining failures before it succeeds */
  failures: Map<string, number>;
}

export function fakeActivities(): { activities: Activities; state: FakeAws } {
  const state: FakeAws = { calls: [], notifications: [], evidence: [], statements: new Set(), sessions: new Map(), failures: new Map() };
  const step = (name: string, input: unknown): void => {
    state.calls.push({ activity: name, input });
    const left = state.failures.get(name) ?? 0;
    if (left > 0) {
      state.failures.set(name, left - 1);
      throw new Error(`injected failure in ${name}`);
    }
  };
  const activities: Activities = {
    async verifyGrant(input) {
      step('verifyGrant', input);
      return { verifiedAt: new Date().toISOString(), callerArn: `arn:aws:sts::123456789012:assumed-role/Role/${input.grantId}`, sessionName: input.grantId, sourceIdentity: input.requester };
    },
    async applyRevocation(input) {
      step('applyRevocation', input);
      state.statements.add(`${input.grantId}|${input.requester}`);
      return { policyName: `SafeguardRevoke-${input.grantId}` };
    },
    async terminateGrantSessions(input) {
      step('terminateGrantSessions', input);
      const ended: string[] = [];
      for (const [id, st] of state.sessions) if (st === 'Active') { state.sessions.set(id, 'Terminated'); ended.push(id); }
      return { terminated: ended };
    },
    async verifyRevocation(input) {
      step('verifyRevocation', input);
      return {
        statementPresent: state.statements.has(`${input.grantId}|${input.requester}`),
        activeSessionsLeft: [...state.sessions].filter(([, s]) => s === 'Active').map(([id]) => id),
        checkedAt: new Date().toISOString(),
      };
    },
    async removeRevocationPolicy(input) {
      step('removeRevocationPolicy', input);
      return { removed: true };
    },
    async notify(event) {
      state.notifications.push(event);
      return {};
    },
    async recordEvidence(input) {
      step('recordEvidence', input);
      state.evidence.push(input);
      return { seq: state.evidence.length, hash: 'x'.repeat(64) };
    },
  };
  return { activities, state };
}
