// The fire drill's wiring for the workflow tier and the replay recorder: a policy with one fire drill
// (admin-fire, rehearsing BreakGlassAdmin), STS faked (AssumeRole mints drill credentials, the
// caller is the drill role), the break-glass fakes of fake-activities.ts, the drill's own activities
// for real (createFireDrillActivities, vending through the grant's Updates), and the child's policy
// check for real (it must accept the drill's request, and only from the drill).
import { randomBytes } from 'node:crypto';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Client } from '@temporalio/client';
import { createFireDrillActivities } from '../../activities/fire-drill';
import { checkBreakGlassInput } from '../../activities/policy/break-glass-check';
import { BreakGlassClient } from '../../client/break-glass-client';
import type { Policy } from '../../config/policy/types';
import type { BreakGlassInput } from '../../workflows/break-glass/definitions';
import { fakeActivities } from './fake-activities';
import type { FakeAws } from './fake-activities';
import { validPolicy } from './policy-text';

export const FIRE_DRILL_POLICY: Policy = validPolicy(
  [
    'version: 2',
    'groups: [{ id: oncall }, { id: leads }, { id: security }]',
    'people:',
    '  - { id: alice, name: Alice, groups: [oncall] }',
    '  - { id: bob, name: Bob, groups: [leads] }',
    '  - { id: carol, name: Carol, groups: [security] }',
    'accounts:',
    '  - { id: "123456789012", name: sandbox, executionRoleArn: "arn:aws:iam::123456789012:role/SafeguardExecution", externalId: safeguard-sandbox }',
    'security: { groups: [security] }',
    'breakGlass:',
    '  roles:',
    '    - { name: BreakGlassAdmin, account: "123456789012", roleArn: "arn:aws:iam::123456789012:role/BreakGlassAdmin", requesters: [oncall], approvers: [leads, security], quorum: 1, mode: approval, defaultDuration: 30m, maxDuration: 4h, approvalTimeout: 15m }',
    'drills:',
    '  fire:',
    '    - { name: admin-fire, rehearses: BreakGlassAdmin, drillRoleArn: "arn:aws:iam::123456789012:role/BreakGlassDrill", approveWithin: 10m, answerWindow: 12m, grantWithin: 30s, revokeWithin: 20s }',
    '',
  ].join('\n'),
);

/** The caller the drill credentials are (sts:GetCallerIdentity's answer). */
export const DRILL_ARN = 'arn:aws:sts::123456789012:assumed-role/BreakGlassDrill/drill';

/** STS as the api's vending and the probe see it: AssumeRole mints drill credentials, the caller is the drill role. */
export function fakeSts(state: FakeAws): { broker: STSClient; caller: STSClient } {
  const broker = {
    send: async (cmd: { input: Record<string, unknown> }) => {
      state.calls.push({ activity: 'sts:AssumeRole', input: cmd.input });
      return { Credentials: { AccessKeyId: `ASIADRILL${randomBytes(6).toString('hex').toUpperCase()}`, SecretAccessKey: 'drill-secret', SessionToken: 'drill-token', Expiration: new Date(Date.now() + 900_000) } };
    },
  };
  const caller = {
    send: async () => {
      state.calls.push({ activity: 'sts:GetCallerIdentity', input: {} });
      return { Arn: DRILL_ARN };
    },
    destroy: () => undefined,
  };
  return { broker: broker as unknown as STSClient, caller: caller as unknown as STSClient };
}

/**
 * Every activity a fire drill and its break-glass child run, on fresh fakes. `client` reaches the
 * grant's Updates (the drill vends and revokes through them, as the api does).
 */
export function fakeFireDrill(client: Client, policy: Policy = FIRE_DRILL_POLICY) {
  const { activities, state } = fakeActivities();
  const sts = fakeSts(state);
  const breakGlass = new BreakGlassClient(client);
  const drillActivities = createFireDrillActivities({ policy: () => policy, breakGlass: () => breakGlass, brokerSts: () => sts.broker, stsWith: () => sts.caller });
  const all = {
    ...activities,
    ...drillActivities,
    async checkBreakGlassRequest(i: { input: BreakGlassInput; workflowId: string; parentWorkflowId?: string }) {
      state.calls.push({ activity: 'checkBreakGlassRequest', input: i });
      return checkBreakGlassInput(i.input, policy, i.workflowId, i.parentWorkflowId);
    },
  };
  return { activities: all, state, breakGlass };
}
