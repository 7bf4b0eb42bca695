// What the final checks read from the gateway's call log (sandbox/call-log.ts): which calls took
// effect, who made them, what they created. Pure.
import type { CallRecord } from '../../sandbox/call-log';

/**
 * The actions whose parameters a check reads; the recorder may drop every other call's parameters
 * to keep a long run's log small.
 */
export const ACTIONS_WITH_CHECKED_PARAMS: ReadonlySet<string> = new Set([
  'AssumeRole',
  'CreateAccessKey',
  'RestoreDBInstanceFromDBSnapshot',
  'RestoreDBInstanceToPointInTime',
  'RestoreTableFromBackup',
  'RestoreTableToPointInTime',
]);

export function callAtMs(call: CallRecord): number {
  return Date.parse(call.at);
}

/** The call reached its service and the service did it: no refusal, no injected failure. */
export function tookEffect(call: CallRecord): boolean {
  return call.status < 400 && call.error === undefined && call.servedBy !== 'fault';
}

/**
 * The latest moment a token of this STS session can have been issued by, as the call log shows:
 * the end of the last AssumeRole that named the session and succeeded (before `beforeMs`, when
 * given). Undefined when the log holds no such call.
 */
export function lastIssueBoundMs(calls: readonly CallRecord[], sessionName: string, beforeMs = Infinity): number | undefined {
  let bound: number | undefined;
  for (const c of calls) {
    if (c.action !== 'AssumeRole' || c.params['RoleSessionName'] !== sessionName || !tookEffect(c)) continue;
    const at = callAtMs(c);
    if (at >= beforeMs) continue;
    const end = at + c.durationMs;
    if (bound === undefined || end > bound) bound = end;
  }
  return bound;
}

/** The scratch resource a restore-creating call names, if the call is one (RDS and DynamoDB restores). */
export function restoreTargetOf(call: CallRecord): string | undefined {
  const name = ((): unknown => {
    switch (call.action) {
      case 'RestoreDBInstanceFromDBSnapshot':
        return call.params['DBInstanceIdentifier'];
      case 'RestoreDBInstanceToPointInTime':
        return call.params['TargetDBInstanceIdentifier'];
      case 'RestoreTableFromBackup':
      case 'RestoreTableToPointInTime':
        return call.params['TargetTableName'];
      default:
        return undefined;
    }
  })();
  return typeof name === 'string' ? name : undefined;
}

/** `12:03:04.567Z`: enough to find a moment of one run in its logs. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11);
}

/** `+12.3 s` */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
