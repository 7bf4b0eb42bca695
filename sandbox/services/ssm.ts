// SSM: the Session Manager APIs moto lacks (StartSession, DescribeSessions, TerminateSession),
// served from SsmSessions; every other SSM call goes to moto.

import { awsErrorReply, requestId } from '../faults';
import { SsmApiError } from '../ssm-sessions';
import type { SsmSessions } from '../ssm-sessions';
import { errorToReply, jsonReply } from './types';
import type { AwsCall, Handled, ServiceHandler } from './types';

export function ssmService(sessions: SsmSessions): ServiceHandler {
  return {
    service: 'ssm',
    handle(_ctx, call): Promise<Handled | undefined> {
      switch (call.info.action) {
        case 'StartSession':
        case 'DescribeSessions':
        case 'TerminateSession':
          return Promise.resolve({ reply: serveSession(sessions, call), servedBy: 'gateway' });
        default:
          return Promise.resolve(undefined);
      }
    },
  };
}

function serveSession(sessions: SsmSessions, { info, caller }: AwsCall) {
  try {
    const result =
      info.action === 'StartSession' ? sessions.start(caller.arn, info.params) : info.action === 'DescribeSessions' ? sessions.describe(info.params) : sessions.terminate(info.params);
    return jsonReply(result, requestId());
  } catch (err) {
    if (err instanceof SsmApiError) return errorToReply(awsErrorReply('json', err.status, err.code, err.message));
    throw err;
  }
}
