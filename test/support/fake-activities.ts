// In-memory activities for the workflow tier: they keep what the workflow asked of AWS so tests can
// assert on it, and can be told to fail a number of times first, to refuse the input, to keep a
// session alive, or to have notifications fail.
import type { Activities as AllActivities } from '../../activities';
import type { RotationActivities } from '../../activities/rotation';
import type { FireDrillActivities } from '../../activities/fire-drill';
import type { DrillActivities } from '../../activities/drills';
import type { ReviewActivities } from '../../activities/reviews';

/** Break-glass's activities (rotation has its own fakes: the real ones against the sandbox; fire
 * drills' are built per test in test/workflows/fire-drill.test.ts; restore drills' in fake-drill.ts). */
type Activities = Omit<AllActivities, keyof RotationActivities | 'checkRotationRequest' | keyof FireDrillActivities | keyof DrillActivities | keyof ReviewActivities | 'runRunbookCheck' | 'findRootLogins' | 'checkRunbookRequest' | 'findEvidence'>;
import { toEnvelope } from '../../activities/notify/notifier';
import type { Notification } from '../../workflows/shared/notifications';
import type { PolicyVerdict } from '../../activities/policy/break-glass-check';
import type { StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import { coversCutoff } from '../../workflows/break-glass/revocation-policy';
import type { UnrevokedGrant } from '../../workflows/break-glass/definitions';

export interface FakeAws {
  calls: Array<{ activity: string; input: unknown }>;
  notifications: Notification[];
  evidence: Array<{ id: string; kind: string; record: Record<string, unknown> }>;
  /** Deny statements per role: role ARN → the person's latest cut-off. */
  statements: Map<string, StatementCutoff[]>;
  /** The role deny policies the writer workflow wrote: role ARN → document (null = deleted). */
  documents: Map<string, string | null>;
  sessions: Map<string, 'Active' | 'Terminated'>;
  /** Sessions that stay Active whatever TerminateSession says. */
  stuckSessions: Set<string>;
  /** activity name → remaining failures before it succeeds */
  failures: Map<string, number>;
  /** What checkBreakGlassRequest answers. */
  verdict: PolicyVerdict;
  /** Every notify call throws (Slack down). */
  notifyFails: boolean;
  /** What findUnrevokedGrants returns. */
  unrevoked: UnrevokedGrant[];
  /** Runs inside submitRevocationCutoff, before it returns (e.g. to race a late credential issue). */
  onSubmitCutoff?: (input: { tokensIssuedBefore: string; grantId: string }) => Promise<void>;
}

export function fakeActivities(): { activities: Activities; state: FakeAws } {
  const state: FakeAws = {
    calls: [],
    notifications: [],
    evidence: [],
    statements: new Map(),
    documents: new Map(),
    sessions: new Map(),
    stuckSessions: new Set(),
    failures: new Map(),
    verdict: { accepted: true, problems: [] },
    notifyFails: false,
    unrevoked: [],
  };
  const step = (name: string, input: unknown): void => {
    state.calls.push({ activity: name, input });
    const left = state.failures.get(name) ?? 0;
    if (left > 0) {
      state.failures.set(name, left - 1);
      throw new Error(`injected failure in ${name}`);
    }
  };
  const addStatement = (roleArn: string, person: string, cutoff: string): void => {
    const list = (state.statements.get(roleArn) ?? []).filter((s) => s.person !== person || Date.parse(s.tokensIssuedBefore) > Date.parse(cutoff));
    if (!list.some((s) => s.person === person)) list.push({ person, tokensIssuedBefore: cutoff });
    state.statements.set(roleArn, list);
  };
  const activities: Activities = {
    async verifyGrant(input) {
      step('verifyGrant', input);
      return { verifiedAt: new Date().toISOString(), callerArn: `arn:aws:sts::123456789012:assumed-role/Role/${input.grantId}`, sessionName: input.grantId, sourceIdentity: input.requester };
    },
    async checkBreakGlassRequest(input) {
      step('checkBreakGlassRequest', input);
      return state.verdict;
    },
    async applyRevocation(input) {
      step('applyRevocation', input);
      addStatement(input.roleArn, input.requester, input.tokensIssuedBefore);
      return { policyName: `SafeguardRevoke-${input.grantId}` };
    },
    async submitRevocationCutoff(input) {
      step('submitRevocationCutoff', input);
      await state.onSubmitCutoff?.(input);
      // The real one signals the role's writer workflow; here the statement lands at once.
      addStatement(input.roleArn, input.requester, input.tokensIssuedBefore);
      return { policyName: 'SafeguardRevocations' };
    },
    async readRoleRevocationPolicy(input) {
      step('readRoleRevocationPolicy', input);
      return state.statements.get(input.roleArn) ?? [];
    },
    async writeRoleRevocationPolicy(input) {
      step('writeRoleRevocationPolicy', input);
      state.documents.set(input.roleArn, input.document);
    },
    async terminateGrantSessions(input) {
      step('terminateGrantSessions', input);
      const ended: string[] = [];
      for (const [id, st] of state.sessions) {
        if (st === 'Active' && !state.stuckSessions.has(id)) {
          state.sessions.set(id, 'Terminated');
          ended.push(id);
        }
      }
      return { terminated: ended };
    },
    async verifyRevocation(input) {
      step('verifyRevocation', input);
      return {
        statementPresent: coversCutoff(state.statements.get(input.roleArn) ?? [], input.requester, input.tokensIssuedBefore),
        activeSessionsLeft: [...state.sessions].filter(([, s]) => s === 'Active').map(([id]) => id),
        checkedAt: new Date().toISOString(),
      };
    },
    async removeRevocationPolicy(input) {
      step('removeRevocationPolicy', input);
      return { removed: true };
    },
    async findUnrevokedGrants(input) {
      step('findUnrevokedGrants', input);
      return state.unrevoked;
    },
    async ensureRevocationWriters() {
      step('ensureRevocationWriters', {});
      return { started: [] };
    },
    async notify(event) {
      state.notifications.push(toEnvelope(event));
      if (state.notifyFails) throw new Error('Slack is down (injected)');
      return {};
    },
    async recordEvidence(input) {
      step('recordEvidence', input);
      state.evidence.push(input);
      return { seq: state.evidence.length, hash: 'x'.repeat(64), duplicate: false };
    },
  };
  return { activities, state };
}
