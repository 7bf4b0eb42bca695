// SSM: the Session Manager APIs moto lacks (StartSession, DescribeSessions, TerminateSession),
// served from SsmSessions, and Run Command (SendCommand, GetCommandInvocation,
// ListCommandInvocations, ListCommands), served from SsmCommands because moto runs nothing and
// targets every instance; every other SSM call goes to moto.

import { awsErrorReply, requestId } from '../faults';
import { AWS_DOCUMENTS } from '../ssm-commands';
import type { DocumentParameters, SsmCommands } from '../ssm-commands';
import { SsmApiError } from '../ssm-sessions';
import type { SsmSessions } from '../ssm-sessions';
import { errorToReply, jsonReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

export function ssmService(sessions: SsmSessions, commands?: SsmCommands): ServiceHandler {
  return {
    service: 'ssm',
    async handle(ctx, call): Promise<Handled | undefined> {
      switch (call.info.action) {
        case 'StartSession':
        case 'DescribeSessions':
        case 'TerminateSession':
          return { reply: serveSession(sessions, call), servedBy: 'gateway' };
        case 'SendCommand':
        case 'GetCommandInvocation':
        case 'ListCommandInvocations':
        case 'ListCommands':
          return commands ? { reply: await serveCommand(ctx, commands, call), servedBy: 'gateway' } : undefined;
        default:
          return undefined;
      }
    },
  };
}

function serveSession(sessions: SsmSessions, { info, caller }: AwsCall) {
  return answer(() =>
    info.action === 'StartSession' ? sessions.start(caller.arn, info.params) : info.action === 'DescribeSessions' ? sessions.describe(info.params) : sessions.terminate(info.params),
  );
}

async function serveCommand(ctx: ServiceContext, commands: SsmCommands, call: AwsCall): Promise<Reply> {
  const { info, caller } = call;
  switch (info.action) {
    case 'SendCommand': {
      const name = info.params['DocumentName'];
      const document = typeof name === 'string' ? await documentParameters(ctx, call, name) : undefined;
      return answer(() => commands.send(caller.arn, info.params, document));
    }
    case 'GetCommandInvocation':
      return answer(() => commands.getInvocation(info.params));
    case 'ListCommandInvocations':
      return answer(() => commands.listInvocations(info.params));
    default:
      return answer(() => commands.listCommands(info.params));
  }
}

/** The document's parameters (name → default), from AWS's own documents or moto's; undefined when there is no such document. */
async function documentParameters(ctx: ServiceContext, call: AwsCall, name: string): Promise<DocumentParameters | undefined> {
  const own = AWS_DOCUMENTS[name];
  if (own) return own;
  const described = await ctx.motoJson(call.caller, 'ssm', 'AmazonSSM.DescribeDocument', { Name: name });
  if (described.status !== 200) return undefined;
  const doc = described.body['Document'] as { Parameters?: { Name?: unknown; DefaultValue?: unknown }[] } | undefined;
  const out: DocumentParameters = new Map();
  for (const p of doc?.Parameters ?? []) if (typeof p.Name === 'string') out.set(p.Name, typeof p.DefaultValue === 'string' ? p.DefaultValue : undefined);
  return out;
}

function answer(fn: () => unknown): Reply {
  try {
    return jsonReply(fn(), requestId());
  } catch (err) {
    if (err instanceof SsmApiError) return errorToReply(awsErrorReply('json', err.status, err.code, err.message));
    throw err;
  }
}
