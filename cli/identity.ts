// Who is calling (DESIGN.md §6.3): the caller's AWS identity from STS GetCallerIdentity, mapped
// through the policy to exactly one person. Nothing the caller merely claims is believed; in the
// sandbox `--as alice` only chooses whose sandbox keys sign the GetCallerIdentity call.
import fs from 'node:fs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { findPersonByAwsArn } from '../config/policy/lookup';
import type { SandboxFile } from '../sandbox';
import { SafeguardError } from '../client/errors';
import type { CliContext } from './context';

export interface Caller {
  person: string;
  arn: string;
}

export function sandboxCredentials(ctx: CliContext, person: string): AwsCredentialIdentity {
  if (!ctx.sandbox) throw new SafeguardError('SANDBOX_ONLY', '--as is only accepted against the sandbox (npm run dev); elsewhere your AWS credentials say who you are');
  const seed = JSON.parse(fs.readFileSync(ctx.sandbox.stack.sandboxFile, 'utf8')) as SandboxFile;
  const user = (seed.people as Record<string, { accessKeyId: string; secretAccessKey: string } | undefined>)[person];
  if (!user) throw new SafeguardError('UNKNOWN_PERSON', `the sandbox has no keys for "${person}" (it has ${Object.keys(seed.people).join(', ')})`);
  return { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey };
}

export async function resolveCaller(ctx: CliContext, as?: string): Promise<Caller> {
  const credentials = as !== undefined ? sandboxCredentials(ctx, as) : undefined;
  const sts = new STSClient({ region: ctx.aws.region, ...(ctx.aws.endpoint ? { endpoint: ctx.aws.endpoint } : {}), ...(credentials ? { credentials } : {}) });
  let arn: string | undefined;
  try {
    arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (err) {
    throw new SafeguardError('IDENTITY_UNVERIFIED', `could not verify your AWS identity (${(err as Error).message})${as === undefined && ctx.sandbox ? '; against the sandbox, pass --as <person>' : ''}`, { cause: err });
  } finally {
    sts.destroy();
  }
  if (!arn) throw new SafeguardError('IDENTITY_UNVERIFIED', 'STS returned no caller identity');
  const person = findPersonByAwsArn(ctx.policy, arn);
  if (!person) throw new SafeguardError('UNKNOWN_PERSON', `your AWS identity ${arn} is not mapped to a person in ${ctx.policyFile}`);
  return { person: person.id, arn };
}

/** The credentials that sign this caller's presigned identity requests to the api. */
export async function callerCredentials(ctx: CliContext, as?: string): Promise<AwsCredentialIdentity> {
  if (as !== undefined) return sandboxCredentials(ctx, as);
  const sts = new STSClient({ region: ctx.aws.region });
  try {
    return await sts.config.credentials();
  } catch (err) {
    // The SDK's own message names its provider chain, not what a person should do.
    const advice = ctx.sandbox
      ? 'against the sandbox (npm run dev), say who you are with --as <person>, e.g. --as alice'
      : 'configure AWS credentials for your IAM identity (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)';
    throw new SafeguardError('IDENTITY_UNVERIFIED', `no AWS credentials to sign your request to the Safeguard api: ${advice}`, { cause: err });
  } finally {
    sts.destroy();
  }
}
