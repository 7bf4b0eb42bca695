// IAM Identity Center's sso-admin API (AwsJson1_1, signing name `sso`, target SWBExternalService.*)
// where moto 5.2.5 differs from AWS in what an access review relies on to revoke an assignment and
// prove it gone:
// - CreateAccountAssignment of an assignment that exists adds a second, identical one in moto (AWS:
//   there is one assignment; the request succeeds). ListAccountAssignments then lists it twice and
//   one DeleteAccountAssignment leaves it in place. The gateway answers SUCCEEDED without a copy.
// - DeleteAccountAssignment answers the creation's RequestId and CreatedDate (AWS: the deletion is a
//   request of its own, with its own id and time).
// - DescribeAccountAssignmentCreationStatus fails once the assignment is deleted (AWS keeps the
//   request's status), and moto's ResourceNotFoundException has no message.
// Everything else (instances, permission sets, managed policies, listings) passes to moto unchanged.

import { randomUUID } from 'node:crypto';
import { param, jsonReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

const TARGET = 'SWBExternalService';

/** An AccountAssignmentOperationStatus as AWS returns it. */
interface OperationStatus {
  Status: 'IN_PROGRESS' | 'FAILED' | 'SUCCEEDED';
  RequestId: string;
  TargetId?: string;
  TargetType?: string;
  PermissionSetArn?: string;
  PrincipalType?: string;
  PrincipalId?: string;
  CreatedDate?: number;
  FailureReason?: string;
}

/** Request statuses kept per kind; bounded so a long-running sandbox does not grow without end. */
const MAX_KEPT = 50_000;

export function ssoAdminService(): ServiceHandler {
  const creations = new Map<string, OperationStatus>();
  const deletions = new Map<string, OperationStatus>();

  const remember = (map: Map<string, OperationStatus>, s: OperationStatus): void => {
    if (map.size >= MAX_KEPT) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(s.RequestId, s);
  };

  /** Whether moto already holds this exact assignment (ListAccountAssignments, every page). */
  async function exists(ctx: ServiceContext, call: AwsCall): Promise<boolean> {
    const p = call.info.params;
    let NextToken: string | undefined;
    do {
      const page = await ctx.motoJson(call.caller, 'sso', `${TARGET}.ListAccountAssignments`, {
        InstanceArn: p['InstanceArn'],
        AccountId: p['TargetId'],
        PermissionSetArn: p['PermissionSetArn'],
        ...(NextToken !== undefined ? { NextToken } : {}),
      });
      if (page.status !== 200) return false;
      const list = (page.body['AccountAssignments'] as Record<string, unknown>[] | undefined) ?? [];
      if (list.some((a) => a['PrincipalType'] === p['PrincipalType'] && a['PrincipalId'] === p['PrincipalId'])) return true;
      NextToken = typeof page.body['NextToken'] === 'string' ? page.body['NextToken'] : undefined;
    } while (NextToken !== undefined);
    return false;
  }

  function statusOf(reply: Reply, key: 'AccountAssignmentCreationStatus' | 'AccountAssignmentDeletionStatus'): OperationStatus | undefined {
    try {
      const body = JSON.parse(reply.body.toString('utf8')) as Record<string, OperationStatus | undefined>;
      return body[key];
    } catch {
      return undefined;
    }
  }

  async function create(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const p = call.info.params;
    if (p['TargetType'] === 'AWS_ACCOUNT' && (await exists(ctx, call))) {
      const s: OperationStatus = {
        Status: 'SUCCEEDED',
        RequestId: randomUUID(),
        TargetId: String(p['TargetId']),
        TargetType: 'AWS_ACCOUNT',
        PermissionSetArn: String(p['PermissionSetArn']),
        PrincipalType: String(p['PrincipalType']),
        PrincipalId: String(p['PrincipalId']),
        CreatedDate: ctx.now() / 1000,
      };
      remember(creations, s);
      return { reply: jsonReply({ AccountAssignmentCreationStatus: s }, randomUUID()), servedBy: 'gateway' };
    }
    const reply = await ctx.forward(call);
    const s = reply.status === 200 ? statusOf(reply, 'AccountAssignmentCreationStatus') : undefined;
    if (s) remember(creations, s);
    return { reply, servedBy: 'moto' };
  }

  async function remove(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const reply = await ctx.forward(call);
    const moto = reply.status === 200 ? statusOf(reply, 'AccountAssignmentDeletionStatus') : undefined;
    if (!moto) return { reply, servedBy: 'moto' };
    const s: OperationStatus = { ...moto, RequestId: randomUUID(), CreatedDate: ctx.now() / 1000 };
    remember(deletions, s);
    return { reply: { ...reply, body: Buffer.from(JSON.stringify({ AccountAssignmentDeletionStatus: s })) }, servedBy: 'moto' };
  }

  function describe(map: Map<string, OperationStatus>, idParam: string, key: string, call: AwsCall): Handled | undefined {
    const id = param(call.info, idParam);
    const s = id !== undefined ? map.get(id) : undefined;
    return s ? { reply: jsonReply({ [key]: s }, randomUUID()), servedBy: 'gateway' } : undefined;
  }

  return {
    service: 'sso',
    async handle(ctx, call) {
      if (call.info.protocol !== 'json') return undefined; // the SSO portal API shares the signing name
      switch (call.info.action) {
        case 'CreateAccountAssignment':
          return create(ctx, call);
        case 'DeleteAccountAssignment':
          return remove(ctx, call);
        case 'DescribeAccountAssignmentCreationStatus':
          return describe(creations, 'AccountAssignmentCreationRequestId', 'AccountAssignmentCreationStatus', call);
        case 'DescribeAccountAssignmentDeletionStatus':
          return describe(deletions, 'AccountAssignmentDeletionRequestId', 'AccountAssignmentDeletionStatus', call);
        default:
          return undefined;
      }
    },
    afterMoto(_ctx, call, reply) {
      return Promise.resolve(call.info.protocol === 'json' ? withMessage(call, reply) : reply);
    },
  };
}

/** moto raises some sso-admin errors without a message (the SDK then says "UnknownError"); AWS always has one. */
function withMessage(call: AwsCall, reply: Reply): Reply {
  if (reply.status < 400) return reply;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return reply;
  }
  const message = body['message'] ?? body['Message'];
  if (typeof message === 'string' && message.trim() !== '') return reply;
  const type = String(body['__type'] ?? 'Error');
  const code = type.slice(type.lastIndexOf('#') + 1);
  const what: Record<string, string> = {
    DeleteAccountAssignment: 'The specified account assignment does not exist.',
    DescribeAccountAssignmentCreationStatus: 'The specified account assignment creation request does not exist.',
    DescribeAccountAssignmentDeletionStatus: 'The specified account assignment deletion request does not exist.',
  };
  const filled = what[call.info.action] ?? (code === 'ResourceNotFoundException' ? 'The specified resource does not exist.' : `${code} in ${call.info.action}.`);
  return { ...reply, body: Buffer.from(JSON.stringify({ ...body, __type: type, message: filled })) };
}
