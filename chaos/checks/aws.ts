// The AWS side of the final checks: clients that act as the worker does (the broker, then each
// account's SafeguardExecution role), with every request bounded in time, and the probe a held
// grant credential is tried with. The broker's keys come from the stack's sandbox file; nothing
// here prints or returns a credential.
import fs from 'node:fs';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { StackInfo } from '../../config/stack-file';
import type { AccountRef } from '../../workflows/key-rotation/targets';
import type { HeldCredentials } from '../ledger';

/** One request may take this long; a check never hangs on a stalled sandbox. */
const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface AccountReaders {
  iam: IAMClient;
  rds: RDSClient;
  dynamodb: DynamoDBClient;
  backup: BackupClient;
}

interface SandboxAccessFile {
  broker?: { accessKeyId: string; secretAccessKey: string };
  authenticated?: boolean;
}

export class CheckAws {
  private readonly broker: STSClient;
  private readonly accounts = new Map<string, Promise<AccountReaders>>();
  private readonly made: { destroy(): void }[] = [];
  /**
   * Whether the sandbox evaluates IAM policies for the calls it serves (moto's request
   * authentication). Off in the embedded stack: a role's deny statements are then written and read
   * back, but a call they deny still succeeds, so a probe that gets through proves nothing there.
   */
  readonly enforcesPolicies: boolean;

  constructor(private readonly stack: Pick<StackInfo, 'awsEndpoint' | 'region' | 'sandboxFile'>) {
    const file = JSON.parse(fs.readFileSync(stack.sandboxFile, 'utf8')) as SandboxAccessFile;
    if (!file.broker) throw new Error(`${stack.sandboxFile} names no broker identity`);
    this.enforcesPolicies = file.authenticated === true;
    this.broker = this.track(new STSClient(this.options(file.broker, 3)));
  }

  /** The account's readers, as its SafeguardExecution role (assumed once per check run). */
  account(target: AccountRef): Promise<AccountReaders> {
    const key = `${target.accountId}|${target.executionRoleArn}`;
    let readers = this.accounts.get(key);
    if (!readers) {
      readers = this.assumeExecution(target);
      // A failed assumption is retried by the next caller, not cached.
      readers.catch(() => this.accounts.delete(key));
      this.accounts.set(key, readers);
    }
    return readers;
  }

  /**
   * Tries a held grant credential once with iam:ListRoles, which every break-glass access level
   * allows (break-glass-role.yaml: admin `*`, read-only `iam:List*`) and which, unlike
   * sts:GetCallerIdentity, a deny statement refuses.
   */
  async probe(credentials: HeldCredentials): Promise<void> {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    const iam = new IAMClient(this.options({ accessKeyId, secretAccessKey, sessionToken }, 1));
    try {
      await iam.send(new ListRolesCommand({ MaxItems: 1 }));
    } finally {
      iam.destroy();
    }
  }

  destroy(): void {
    for (const c of this.made) c.destroy();
  }

  private async assumeExecution(target: AccountRef): Promise<AccountReaders> {
    const out = await this.broker.send(
      new AssumeRoleCommand({ RoleArn: target.executionRoleArn, RoleSessionName: 'safeguard-chaos-checks', ExternalId: target.externalId, DurationSeconds: 3600 }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole on ${target.executionRoleArn} returned no credentials`);
    const options = this.options({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) }, 3);
    return {
      iam: this.track(new IAMClient(options)),
      rds: this.track(new RDSClient(options)),
      dynamodb: this.track(new DynamoDBClient(options)),
      backup: this.track(new BackupClient(options)),
    };
  }

  private options(credentials: AwsCredentialIdentity, maxAttempts: number) {
    return {
      region: this.stack.region,
      endpoint: this.stack.awsEndpoint,
      credentials,
      maxAttempts,
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
    };
  }

  private track<T extends { destroy(): void }>(client: T): T {
    this.made.push(client);
    return client;
  }
}

/** How a probe ended, from the error it threw (or none). */
export type ProbeOutcome = 'refused' | 'accepted' | 'inconclusive';

/** Errors with which AWS refuses a credential or a call: access is over (or never was). */
const REFUSALS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
]);

export function probeOutcome(err: unknown): { outcome: ProbeOutcome; error?: string } {
  if (err === undefined) return { outcome: 'accepted' };
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  if (REFUSALS.has(name) || status === 401 || status === 403) return { outcome: 'refused', error: name };
  return { outcome: 'inconclusive', error: status !== undefined ? `${name} (HTTP ${status})` : name };
}
