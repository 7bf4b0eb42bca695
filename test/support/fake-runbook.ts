// In-memory stand-ins for the declarative runbook's activities (the worker's policy check, the check
// catalogue, notify, evidence) and the root-login watcher's read, for the workflow tier and the replay
// recorder. The real activities run against the sandbox in test/integration/runbook-*.test.ts.
import { ApplicationFailure } from '@temporalio/common';
import { checkRunbookInput } from '../../activities/policy/runbook-check';
import type { Policy } from '../../config/policy/types';
import type { CheckResult, RootLogin, RunbookInput } from '../../workflows/runbook/definitions';
import type { RunbookNotification } from '../../workflows/shared/notifications';

export interface FakeRunbook {
  policy: Policy;
  notifications: RunbookNotification[];
  evidence: Array<{ id: string; kind: string; record: Record<string, unknown> }>;
  checks: string[];
  /** What each check answers on its n-th call (default: passes). */
  answer: (name: string, n: number) => CheckResult | Error;
  notifyFails: boolean;
  /** Notifications of these events fail (Slack down for them). */
  failingEvents: Set<string>;
  /** recordEvidence fails (the store unreachable). */
  evidenceFails: boolean;
  /** Overrides the real policy check (runbooks made up by a test are in no policy). */
  verdict?: () => { accepted: boolean; problems: string[] };
  /** What the watcher's CloudTrail read finds. */
  logins: RootLogin[];
}

export const passed = (name: string): CheckResult => ({ check: name, passed: true, summary: `${name} passed`, facts: { looked: true }, checkedAt: new Date().toISOString() });
export const notPassed = (name: string): CheckResult => ({ check: name, passed: false, summary: `${name} did not pass`, facts: { looked: true }, checkedAt: new Date().toISOString() });

export function fakeRunbook(policy: Policy): { state: FakeRunbook; activities: object } {
  const state: FakeRunbook = { policy, notifications: [], evidence: [], checks: [], answer: (name) => passed(name), notifyFails: false, failingEvents: new Set(), evidenceFails: false, logins: [] };
  const activities = {
    async checkRunbookRequest({ input }: { input: RunbookInput }) {
      return state.verdict ? state.verdict() : checkRunbookInput(input, state.policy);
    },
    async runRunbookCheck({ check }: { check: { name: string } }) {
      state.checks.push(check.name);
      const a = state.answer(check.name, state.checks.filter((c) => c === check.name).length);
      if (a instanceof Error) throw a;
      return a;
    },
    async findRootLogins() {
      return { logins: state.logins.map((l) => ({ ...l })), unreadable: [] };
    },
    async notify(n: RunbookNotification) {
      if ((n.event === 'runbook-notify' && state.notifyFails) || state.failingEvents.has(n.event)) throw new Error('Slack is down');
      state.notifications.push(n);
      return {};
    },
    async findEvidence({ id }: { id: string }) {
      return { found: state.evidence.some((e) => e.id === id) };
    },
    async recordEvidence(r: { id: string; kind: string; record: Record<string, unknown> }) {
      if (state.evidenceFails) throw ApplicationFailure.nonRetryable('the evidence store is unreachable', 'EvidenceIo');
      const dup = state.evidence.some((e) => e.id === r.id);
      if (!dup) state.evidence.push(r);
      return { seq: state.evidence.length, hash: 'h', duplicate: dup };
    },
  };
  return { state, activities };
}
