import type { BreakGlassInput, RoleSnapshot } from '../../workflows/break-glass/definitions';

const MIN = 60_000;

export function roleSnapshot(overrides: Partial<RoleSnapshot> = {}): RoleSnapshot {
  return {
    name: 'BreakGlassAdmin',
    accountId: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
    executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
    externalId: 'safeguard-sandbox',
    mode: 'approval',
    quorum: 1,
    approvers: ['bob', 'carol', 'erin'],
    security: ['carol'],
    maxDurationMs: 240 * MIN,
    approvalTimeoutMs: 15 * MIN,
    reminderIntervalMs: 5 * MIN,
    maxSessionDurationMs: 60 * MIN,
    ...overrides,
  };
}

let n = 0;
export function breakGlassInput(overrides: Omit<Partial<BreakGlassInput>, "role"> & { role?: Partial<RoleSnapshot> } = {}): BreakGlassInput {
  const { role, ...rest } = overrides;
  n += 1;
  const short = `${Date.now().toString(16).slice(-5)}${n.toString(16).padStart(3, '0')}`;
  return {
    grantId: `breakglass-BreakGlassAdmin-${short}`,
    requester: 'alice',
    role: roleSnapshot(role),
    durationMs: 30 * MIN,
    reason: 'database is on fire, need to restart it',
    via: 'cli',
    ...rest,
  };
}
