// cloudtrail:LookupEvents through the sandbox gateway with the real SDK client: the gateway answers
// it from the calls it saw (moto 5.2.5 has no LookupEvents), so a key still signing after it was
// deactivated shows up with the error it got, as in AWS, where IAM's last-used date only counts
// calls that authenticated. Also the execution role's rights in authenticated mode: it may look up
// events and write key-store parameters; others may not look up events. Starts its own sandboxes
// (no stack).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { eventsByAccessKey } from '../../activities/aws/cloudtrail';
import { sandboxControl, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { failure } from '../support/aws-calls';

jest.setTimeout(90_000);

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const config = (sb: Sandbox, c: Credentials) => ({ endpoint: sb.endpoint, region: 'us-east-1', credentials: c, maxAttempts: 1 });
const creds = (u: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined; sessionToken?: string | undefined } | undefined): Credentials => {
  if (!u?.accessKeyId || !u.secretAccessKey) throw new Error('no key');
  return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey, ...(u.sessionToken ? { sessionToken: u.sessionToken } : {}) };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits into the next whole second and returns its start (CloudTrail event times are whole seconds). */
async function nextSecond(): Promise<Date> {
  const boundary = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await sleep(boundary - Date.now() + 20);
  return new Date(boundary);
}

async function newUserKey(sb: Sandbox, userName: string): Promise<Credentials> {
  const iam = new IAMClient(config(sb, creds(sb.seed.broker)));
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return creds({ accessKeyId: key.AccessKey?.AccessKeyId, secretAccessKey: key.AccessKey?.SecretAccessKey });
}

interface TrailRecord {
  eventVersion: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  userIdentity: { type: string; arn?: string; accessKeyId: string; userName?: string };
  errorCode?: string;
  errorMessage?: string;
}

describe('LookupEvents from the gateway call log', () => {
  let sandbox: Sandbox;
  let dataDir: string;
  let ct: CloudTrailClient;
  let key: Credentials;
  let userArn: string;
  /** Between the key's last accepted call and its first refused one. */
  let deactivatedAt: Date;
  const lookup = (input: LookupEventsCommandInput) => ct.send(new LookupEventsCommand(input));
  const byKey = (id: string, extra: Omit<LookupEventsCommandInput, 'LookupAttributes'> = {}) =>
    lookup({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: id }], ...extra });

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-cloudtrail-'));
    sandbox = await startSandbox({ dataDir });
    ct = new CloudTrailClient(config(sandbox, creds(sandbox.seed.broker)));

    key = await newUserKey(sandbox, 'ct-consumer');
    const me = await new STSClient(config(sandbox, key)).send(new GetCallerIdentityCommand({}));
    userArn = me.Arn ?? '';
    // Someone else's call, in between: never part of the key's events.
    await new STSClient(config(sandbox, creds(sandbox.seed.people.alice))).send(new GetCallerIdentityCommand({}));

    deactivatedAt = await nextSecond();
    await new IAMClient(config(sandbox, creds(sandbox.seed.broker))).send(new UpdateAccessKeyCommand({ UserName: 'ct-consumer', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    const refused = await failure(new STSClient(config(sandbox, key)).send(new GetCallerIdentityCommand({})));
    expect(refused.name).toBe('InvalidClientTokenId');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    const refusedJson = await failure(new SSMClient(config(sandbox, key)).send(new DescribeParametersCommand({})));
    expect(refusedJson.name).toBe('UnrecognizedClientException');
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("returns the key's calls, newest first, the refused ones with their error", async () => {
    const out = await byKey(key.accessKeyId);
    expect(out.NextToken).toBeUndefined();
    const events = out.Events ?? [];
    expect(events.map((e) => [e.EventSource, e.EventName])).toEqual([
      ['ssm.amazonaws.com', 'DescribeParameters'],
      ['sts.amazonaws.com', 'GetCallerIdentity'],
      ['sts.amazonaws.com', 'GetCallerIdentity'],
    ]);
    for (const e of events) {
      expect(e.AccessKeyId).toBe(key.accessKeyId);
      expect(e.Username).toBe('ct-consumer');
      expect(e.Resources).toEqual([]);
      expect(e.EventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.EventTime).toBeInstanceOf(Date);
    }
    const [ssm, refused, accepted] = events.map((e) => JSON.parse(e.CloudTrailEvent ?? '{}') as TrailRecord);
    expect(refused).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      awsRegion: 'us-east-1',
      errorCode: 'InvalidClientTokenId',
      errorMessage: 'The security token included in the request is invalid.',
      userIdentity: { type: 'IAMUser', arn: userArn, accessKeyId: key.accessKeyId, userName: 'ct-consumer' },
    });
    expect(refused?.eventVersion).toMatch(/^1\.\d+$/);
    expect(refused?.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(ssm?.errorCode).toBe('UnrecognizedClientException');
    expect(accepted?.errorCode).toBeUndefined();
    expect(accepted?.errorMessage).toBeUndefined();
    expect(Date.parse(accepted?.eventTime ?? '')).toBeLessThan(deactivatedAt.getTime());
  });

  it('leaves out events before StartTime and after EndTime', async () => {
    const after = await byKey(key.accessKeyId, { StartTime: deactivatedAt });
    expect(after.Events?.map((e) => JSON.parse(e.CloudTrailEvent ?? '{}') as TrailRecord).map((r) => r.errorCode)).toEqual(['UnrecognizedClientException', 'InvalidClientTokenId']);
    const before = await byKey(key.accessKeyId, { EndTime: new Date(deactivatedAt.getTime() - 1000) });
    expect(before.Events?.map((e) => e.EventName)).toEqual(['GetCallerIdentity']);
    expect((await byKey(key.accessKeyId, { StartTime: new Date(Date.now() + 60_000) })).Events).toEqual([]);
  });

  it('pages with NextToken, newest first, without repeating or losing an event', async () => {
    const all = (await byKey(key.accessKeyId)).Events?.map((e) => e.EventId);
    const paged: (string | undefined)[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await byKey(key.accessKeyId, { MaxResults: 1, ...(token ? { NextToken: token } : {}) });
      expect(out.Events).toHaveLength(1);
      paged.push(...(out.Events ?? []).map((e) => e.EventId));
      token = out.NextToken;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(paged).toEqual(all);
    // A token belongs to its query.
    const first = await byKey(key.accessKeyId, { MaxResults: 1 });
    const err = await failure(byKey(sandbox.seed.people.alice.accessKeyId, { MaxResults: 1, NextToken: first.NextToken }));
    expect(err.name).toBe('InvalidNextTokenException');
  });

  it("does not return another key's events", async () => {
    const alice = await byKey(sandbox.seed.people.alice.accessKeyId);
    expect(alice.Events?.map((e) => [e.EventName, e.Username, e.AccessKeyId])).toEqual([['GetCallerIdentity', 'alice', sandbox.seed.people.alice.accessKeyId]]);
    expect((await byKey('AKIANOSUCHKEY0000000')).Events).toEqual([]);
  });

  it('looks up by Username and EventName too, and refuses lookup attributes CloudTrail does not have', async () => {
    const byUser = await lookup({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'ct-consumer' }] });
    expect(byUser.Events).toHaveLength(3);
    const byName = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateAccessKey' }] });
    expect(byName.Events?.map((e) => [e.Username, e.AccessKeyId])).toEqual([['safeguard-broker', sandbox.seed.broker.accessKeyId]]);
    const bad = await failure(lookup({ LookupAttributes: [{ AttributeKey: 'Colour' as never, AttributeValue: 'x' }] }));
    expect(bad.name).toBe('InvalidLookupAttributesException');
    expect((await failure(lookup({ MaxResults: 51 }))).name).toBe('InvalidMaxResultsException');
    expect((await failure(lookup({ StartTime: new Date(), EndTime: new Date(Date.now() - 60_000) }))).name).toBe('InvalidTimeRangeException');
  });

  it("answers the rotation activity's question: the deactivated key is still used", async () => {
    const events = await eventsByAccessKey(ct, key.accessKeyId, deactivatedAt);
    expect(events.map((e) => [e.name, e.errorCode])).toEqual([
      ['DescribeParameters', 'UnrecognizedClientException'],
      ['GetCallerIdentity', 'InvalidClientTokenId'],
    ]);
  });

  it('never puts the full key id in the call log the control API serves', async () => {
    const calls = await sandboxControl(sandbox.endpoint).calls();
    expect(calls.some((c) => c.service === 'cloudtrail' && c.action === 'LookupEvents')).toBe(true);
    expect(JSON.stringify(calls)).not.toContain(key.accessKeyId);
  });
});

describe('with moto authenticating requests', () => {
  let sandbox: Sandbox;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-cloudtrail-auth-'));
    sandbox = await startSandbox({ dataDir, authenticate: true });
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('SafeguardExecution may look up events and write a key-store parameter; alice may not look up events', async () => {
    const out = await new STSClient(config(sandbox, creds(sandbox.seed.broker))).send(
      new AssumeRoleCommand({ RoleArn: sandbox.seed.roles.SafeguardExecution, RoleSessionName: 'worker', ExternalId: sandbox.seed.externalId, DurationSeconds: 900 }),
    );
    const exec = creds({ accessKeyId: out.Credentials?.AccessKeyId, secretAccessKey: out.Credentials?.SecretAccessKey, sessionToken: out.Credentials?.SessionToken });
    const aliceId = sandbox.seed.people.alice.accessKeyId;
    await new STSClient(config(sandbox, creds(sandbox.seed.people.alice))).send(new GetCallerIdentityCommand({}));

    const events = await new CloudTrailClient(config(sandbox, exec)).send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: aliceId }] }),
    );
    expect(events.Events?.map((e) => [e.EventName, e.Username])).toEqual([['GetCallerIdentity', 'alice']]);

    const denied = await failure(new CloudTrailClient(config(sandbox, creds(sandbox.seed.people.alice))).send(new LookupEventsCommand({})));
    expect(denied.name).toBe('AccessDenied');

    // Rotation into an SSM store: moto honours only Resource "*" statements.
    const ssm = new SSMClient(config(sandbox, exec));
    const put = await ssm.send(new PutParameterCommand({ Name: '/it/cloudtrail/store', Value: '{"accessKeyId":"x","secretAccessKey":"y"}', Type: 'SecureString', Overwrite: true }));
    expect(put.Version).toBe(1);
    expect((await ssm.send(new GetParameterCommand({ Name: '/it/cloudtrail/store', WithDecryption: true }))).Parameter?.Version).toBe(1);
  });
});
