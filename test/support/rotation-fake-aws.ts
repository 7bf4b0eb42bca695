// An in-process stand-in for the AWS calls the rotation activities make (IAM access keys, SSM
// parameters, Secrets Manager versions and stages, STS with a key, KMS), behaving as AWS documents
// them, so the activities' logic is unit-tested without the sandbox. `failNext` injects a crash
// before a named command; `calls` records every command name in order.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AwsClients } from '../../activities/aws/clients';

interface FakeKey {
  id: string;
  secret: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
  lastUsed?: { at: Date; service: string; region: string };
  /** GetCallerIdentity calls refused before the key works (IAM eventual consistency). */
  refusalsLeft: number;
}

interface FakeParamVersion {
  Version: number;
  Value: string;
  Type: string;
  KeyId?: string;
  Description?: string;
  Tier: string;
}

interface FakeSecret {
  versions: Map<string, { value: string; stages: string[]; createdAt: Date }>;
}

interface FakeKmsKey {
  id: string;
  arn: string;
  keySpec: string;
  keyUsage: string;
  keyState: string;
  keyManager: string;
  origin: string;
  rotationEnabled: boolean;
  rotationPeriodDays?: number;
  rotations: { date: Date; type: string }[];
  onDemandInProgressSince?: Date;
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

type Command = { constructor: { name: string }; input: Record<string, unknown> };

export class FakeAws {
  readonly accountId = '123456789012';
  readonly users = new Map<string, FakeKey[]>();
  readonly params = new Map<string, FakeParamVersion[]>();
  readonly secrets = new Map<string, FakeSecret>();
  readonly kmsKeys = new Map<string, FakeKmsKey>();
  readonly aliases = new Map<string, string>();
  readonly calls: string[] = [];
  /** New keys are refused this many times by STS (AWS: a few seconds). */
  newKeyRefusals = 0;
  onDemandLimit = 25;
  private readonly failures: { command: string; error: Error | ((input: Record<string, unknown>) => Error) }[] = [];

  /** The next `command` throws `error` (default: a worker crash, not an AWS error) instead of running. */
  failNext(command: string, error: Error | ((input: Record<string, unknown>) => Error) = new Error(`simulated crash before ${command}`)): void {
    this.failures.push({ command, error });
  }

  addUser(userName: string): void {
    this.users.set(userName, []);
  }

  /** A key made outside the activities (seeding, or a crashed attempt's orphan). Returns id and secret. */
  addKey(userName: string, opts: { status?: 'Active' | 'Inactive'; used?: boolean } = {}): { accessKeyId: string; secretAccessKey: string } {
    const key = this.newKey();
    if (opts.status) key.status = opts.status;
    if (opts.used) key.lastUsed = { at: new Date(), service: 's3', region: 'us-east-1' };
    key.refusalsLeft = 0;
    this.keysOf(userName).push(key);
    return { accessKeyId: key.id, secretAccessKey: key.secret };
  }

  keyIds(userName: string): string[] {
    return this.keysOf(userName).map((k) => k.id);
  }

  secretOf(accessKeyId: string): string | undefined {
    for (const keys of this.users.values()) for (const k of keys) if (k.id === accessKeyId) return k.secret;
    return undefined;
  }

  allSecrets(): string[] {
    return [...this.users.values()].flatMap((ks) => ks.map((k) => k.secret));
  }

  putParam(name: string, value: string, type = 'SecureString'): void {
    const versions = this.params.get(name) ?? [];
    versions.push({ Version: versions.length + 1, Value: value, Type: type, Tier: 'Standard', KeyId: type === 'SecureString' ? 'alias/aws/ssm' : undefined });
    this.params.set(name, versions);
  }

  createSecret(secretId: string, value?: string): string {
    const versionId = randomUUID();
    const versions = new Map<string, { value: string; stages: string[]; createdAt: Date }>();
    if (value !== undefined) versions.set(versionId, { value, stages: ['AWSCURRENT'], createdAt: new Date() });
    this.secrets.set(secretId, { versions });
    return versionId;
  }

  stagesOf(secretId: string): Record<string, string[]> {
    const s = this.secrets.get(secretId);
    if (!s) throw new Error(`no secret ${secretId}`);
    return Object.fromEntries([...s.versions].filter(([, v]) => v.stages.length > 0).map(([id, v]) => [id, [...v.stages]]));
  }

  secretValue(secretId: string, stage: string): string | undefined {
    return [...(this.secrets.get(secretId)?.versions.values() ?? [])].find((v) => v.stages.includes(stage))?.value;
  }

  addKmsKey(opts: Partial<Pick<FakeKmsKey, 'keySpec' | 'keyUsage' | 'keyState' | 'keyManager' | 'origin'>> & { alias?: string } = {}): string {
    const id = randomUUID();
    this.kmsKeys.set(id, {
      id,
      arn: `arn:aws:kms:us-east-1:${this.accountId}:key/${id}`,
      keySpec: opts.keySpec ?? 'SYMMETRIC_DEFAULT',
      keyUsage: opts.keyUsage ?? 'ENCRYPT_DECRYPT',
      keyState: opts.keyState ?? 'Enabled',
      keyManager: opts.keyManager ?? 'CUSTOMER',
      origin: opts.origin ?? 'AWS_KMS',
      rotationEnabled: false,
      rotations: [],
    });
    if (opts.alias) this.aliases.set(opts.alias, id);
    return id;
  }

  kmsKey(id: string): FakeKmsKey {
    const k = this.kmsKeys.get(id);
    if (!k) throw new Error(`no KMS key ${id}`);
    return k;
  }

  /** What the activities get as `aws`. */
  clients(): AwsClients {
    const client = { send: (cmd: Command) => this.send(cmd), destroy: () => undefined };
    const accountClients = { iam: client, ssm: client, kms: client, secretsManager: client };
    return {
      forAccount: async () => accountClients,
      stsWith: (creds: { accessKeyId: string; secretAccessKey: string }) => ({
        send: (cmd: Command) => this.send(cmd, creds),
        destroy: () => undefined,
      }),
    } as unknown as AwsClients;
  }

  private keysOf(userName: string): FakeKey[] {
    const keys = this.users.get(userName);
    if (!keys) throw awsError('NoSuchEntityException', `The user with name ${userName} cannot be found.`);
    return keys;
  }

  private newKey(): FakeKey {
    return {
      id: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secret: randomBytes(30).toString('base64'),
      status: 'Active',
      createdAt: new Date(),
      refusalsLeft: this.newKeyRefusals,
    };
  }

  private findKey(accessKeyId: string): { user: string; key: FakeKey } | undefined {
    for (const [user, keys] of this.users) for (const key of keys) if (key.id === accessKeyId) return { user, key };
    return undefined;
  }

  private secret(id: unknown): FakeSecret {
    const s = this.secrets.get(String(id));
    if (!s) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  }

  private kms(ref: unknown): FakeKmsKey {
    const r = String(ref);
    const id = r.startsWith('alias/') ? this.aliases.get(r) : r.startsWith('arn:') ? r.split('/').pop() : r;
    const k = id ? this.kmsKeys.get(id) : undefined;
    if (!k) throw awsError('NotFoundException', `Key '${r}' does not exist`);
    return k;
  }

  private moveStage(s: FakeSecret, stage: string, moveTo: string | undefined, removeFrom: string | undefined): void {
    for (const [id, v] of s.versions) {
      if (v.stages.includes(stage) && id !== moveTo) {
        if (removeFrom !== id) throw awsError('InvalidParameterException', `The staging label ${stage} is currently attached to version ${id}, not ${removeFrom ?? '(none)'}`);
        v.stages = v.stages.filter((x) => x !== stage);
        if (stage === 'AWSCURRENT' && moveTo) {
          for (const o of s.versions.values()) o.stages = o.stages.filter((x) => x !== 'AWSPREVIOUS');
          v.stages.push('AWSPREVIOUS');
        }
      }
    }
    if (moveTo) {
      const v = s.versions.get(moveTo);
      if (!v) throw awsError('ResourceNotFoundException', `no version ${moveTo}`);
      if (!v.stages.includes(stage)) v.stages.push(stage);
    }
  }

  private async send(cmd: Command, creds?: { accessKeyId: string; secretAccessKey: string }): Promise<unknown> {
    const name = cmd.constructor.name.replace(/Command$/, '');
    this.calls.push(name);
    const fi = this.failures.findIndex((f) => f.command === name);
    if (fi >= 0) {
      const [f] = this.failures.splice(fi, 1);
      throw typeof f!.error === 'function' ? f!.error(cmd.input) : f!.error;
    }
    const i = cmd.input;
    switch (name) {
      // ---- IAM ----
      case 'ListAccessKeys':
        return {
          AccessKeyMetadata: this.keysOf(String(i.UserName)).map((k) => ({ AccessKeyId: k.id, Status: k.status, CreateDate: k.createdAt, UserName: i.UserName })),
          IsTruncated: false,
        };
      case 'GetAccessKeyLastUsed': {
        const f = this.findKey(String(i.AccessKeyId));
        if (!f) throw awsError('NoSuchEntityException', 'The Access Key with id cannot be found');
        const u = f.key.lastUsed;
        return { UserName: f.user, AccessKeyLastUsed: u ? { LastUsedDate: u.at, ServiceName: u.service, Region: u.region } : { ServiceName: 'N/A', Region: 'N/A' } };
      }
      case 'CreateAccessKey': {
        const keys = this.keysOf(String(i.UserName));
        if (keys.length >= 2) throw awsError('LimitExceededException', 'Cannot exceed quota for AccessKeysPerUser: 2');
        const key = this.newKey();
        keys.push(key);
        return { AccessKey: { UserName: i.UserName, AccessKeyId: key.id, SecretAccessKey: key.secret, Status: 'Active', CreateDate: key.createdAt } };
      }
      case 'DeleteAccessKey': {
        const keys = this.keysOf(String(i.UserName));
        const at = keys.findIndex((k) => k.id === i.AccessKeyId);
        if (at < 0) throw awsError('NoSuchEntityException', 'The Access Key cannot be found');
        keys.splice(at, 1);
        return {};
      }
      case 'UpdateAccessKey': {
        const k = this.keysOf(String(i.UserName)).find((x) => x.id === i.AccessKeyId);
        if (!k) throw awsError('NoSuchEntityException', 'The Access Key cannot be found');
        k.status = i.Status as 'Active' | 'Inactive';
        return {};
      }
      // ---- STS, signed with a key ----
      case 'GetCallerIdentity': {
        const f = creds ? this.findKey(creds.accessKeyId) : undefined;
        if (!f || f.key.status !== 'Active') throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.');
        if (f.key.refusalsLeft > 0) {
          f.key.refusalsLeft--;
          throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.');
        }
        if (f.key.secret !== creds!.secretAccessKey) throw awsError('SignatureDoesNotMatch', 'The request signature we calculated does not match');
        f.key.lastUsed = { at: new Date(), service: 'sts', region: 'us-east-1' };
        return { Account: this.accountId, Arn: `arn:aws:iam::${this.accountId}:user/${f.user}`, UserId: 'AIDA' };
      }
      // ---- SSM ----
      case 'GetParameter': {
        const v = this.params.get(String(i.Name))?.at(-1);
        if (!v) throw awsError('ParameterNotFound', 'Parameter not found');
        return { Parameter: { Name: i.Name, Type: v.Type, Value: v.Value, Version: v.Version } };
      }
      case 'GetParameterHistory': {
        const vs = this.params.get(String(i.Name));
        if (!vs) throw awsError('ParameterNotFound', 'Parameter not found');
        return { Parameters: vs.map((v) => ({ Name: i.Name, ...v })) };
      }
      case 'PutParameter': {
        const name = String(i.Name);
        const vs = this.params.get(name);
        if (vs && i.Overwrite !== true) throw awsError('ParameterAlreadyExists', 'The parameter already exists.');
        const prev = vs?.at(-1);
        const next: FakeParamVersion = {
          Version: (prev?.Version ?? 0) + 1,
          Value: String(i.Value),
          Type: String(i.Type ?? prev?.Type),
          Tier: String(i.Tier ?? prev?.Tier ?? 'Standard'),
          ...(i.KeyId ? { KeyId: String(i.KeyId) } : i.Type === 'SecureString' ? { KeyId: 'alias/aws/ssm' } : {}),
          // SSM keeps the description when an overwrite gives none.
          ...(i.Description !== undefined ? { Description: String(i.Description) } : prev?.Description !== undefined ? { Description: prev.Description } : {}),
        };
        this.params.set(name, [...(vs ?? []), next]);
        return { Version: next.Version, Tier: next.Tier };
      }
      // ---- Secrets Manager ----
      case 'DescribeSecret':
        this.secret(i.SecretId);
        return { Name: i.SecretId, VersionIdsToStages: this.stagesOf(String(i.SecretId)) };
      case 'GetSecretValue': {
        const s = this.secret(i.SecretId);
        const entry = i.VersionId
          ? [String(i.VersionId), s.versions.get(String(i.VersionId))] as const
          : ([...s.versions].find(([, v]) => v.stages.includes(String(i.VersionStage ?? 'AWSCURRENT'))) ?? [undefined, undefined]);
        const [versionId, v] = entry;
        if (!v || !versionId) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value");
        return { Name: i.SecretId, VersionId: versionId, SecretString: v.value, VersionStages: [...v.stages] };
      }
      case 'PutSecretValue': {
        const s = this.secret(i.SecretId);
        const token = String(i.ClientRequestToken ?? randomUUID());
        const existing = s.versions.get(token);
        if (existing) {
          if (existing.value !== i.SecretString) throw awsError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
          return { VersionId: token, VersionStages: existing.stages };
        }
        const stages = (i.VersionStages as string[] | undefined) ?? ['AWSCURRENT'];
        s.versions.set(token, { value: String(i.SecretString), stages: [], createdAt: new Date() });
        for (const st of stages) {
          const holder = [...s.versions].find(([id, v]) => id !== token && v.stages.includes(st))?.[0];
          this.moveStage(s, st, token, holder);
        }
        return { VersionId: token, VersionStages: stages };
      }
      case 'UpdateSecretVersionStage': {
        const s = this.secret(i.SecretId);
        this.moveStage(s, String(i.VersionStage), i.MoveToVersionId as string | undefined, i.RemoveFromVersionId as string | undefined);
        return {};
      }
      // ---- KMS ----
      case 'DescribeKey': {
        const k = this.kms(i.KeyId);
        return {
          KeyMetadata: { KeyId: k.id, Arn: k.arn, KeySpec: k.keySpec, KeyUsage: k.keyUsage, KeyState: k.keyState, KeyManager: k.keyManager, Origin: k.origin, Enabled: k.keyState === 'Enabled' },
        };
      }
      case 'GetKeyRotationStatus': {
        const k = this.kms(i.KeyId);
        if (k.onDemandInProgressSince && Date.now() - k.onDemandInProgressSince.getTime() > 50) k.onDemandInProgressSince = undefined;
        return {
          KeyId: k.id,
          KeyRotationEnabled: k.rotationEnabled,
          ...(k.rotationEnabled ? { RotationPeriodInDays: k.rotationPeriodDays, NextRotationDate: new Date(Date.now() + (k.rotationPeriodDays ?? 365) * 86_400_000) } : {}),
          ...(k.onDemandInProgressSince ? { OnDemandRotationStartDate: k.onDemandInProgressSince } : {}),
        };
      }
      case 'EnableKeyRotation': {
        const k = this.kms(i.KeyId);
        if (k.keyState === 'Disabled') throw awsError('DisabledException', 'disabled');
        if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw awsError('UnsupportedOperationException', 'unsupported');
        k.rotationEnabled = true;
        k.rotationPeriodDays = Number(i.RotationPeriodInDays ?? 365);
        return {};
      }
      case 'RotateKeyOnDemand': {
        const k = this.kms(i.KeyId);
        if (k.onDemandInProgressSince && Date.now() - k.onDemandInProgressSince.getTime() <= 50) throw awsError('ConflictException', 'rotation in progress');
        if (k.rotations.filter((r) => r.type === 'ON_DEMAND').length >= this.onDemandLimit) throw awsError('LimitExceededException', 'on-demand rotation limit');
        const now = new Date();
        k.onDemandInProgressSince = now;
        k.rotations.push({ date: now, type: 'ON_DEMAND' });
        return { KeyId: k.id };
      }
      case 'ListKeyRotations': {
        const k = this.kms(i.KeyId);
        const start = Number(i.Marker ?? 0);
        const limit = Number(i.Limit ?? 100);
        const page = k.rotations.slice(start, start + limit);
        const more = start + limit < k.rotations.length;
        return { Rotations: page.map((r) => ({ KeyId: k.id, RotationDate: r.date, RotationType: r.type })), Truncated: more, ...(more ? { NextMarker: String(start + limit) } : {}) };
      }
      case 'Encrypt': {
        const k = this.kms(i.KeyId);
        if (k.keyState !== 'Enabled') throw awsError('DisabledException', 'disabled');
        const blob = JSON.stringify({ key: k.id, ctx: i.EncryptionContext, pt: Buffer.from(i.Plaintext as Uint8Array).toString('base64') });
        return { CiphertextBlob: new Uint8Array(Buffer.from(blob)), KeyId: k.arn };
      }
      case 'Decrypt': {
        const k = this.kms(i.KeyId);
        let parsed: { key: string; ctx: unknown; pt: string };
        try {
          parsed = JSON.parse(Buffer.from(i.CiphertextBlob as Uint8Array).toString('utf8')) as typeof parsed;
        } catch {
          throw awsError('InvalidCiphertextException', 'invalid ciphertext');
        }
        if (parsed.key !== k.id) throw awsError('IncorrectKeyException', 'incorrect key');
        if (JSON.stringify(parsed.ctx) !== JSON.stringify(i.EncryptionContext)) throw awsError('InvalidCiphertextException', 'invalid ciphertext');
        return { Plaintext: new Uint8Array(Buffer.from(parsed.pt, 'base64')), KeyId: k.arn };
      }
      default:
        throw new Error(`FakeAws: ${name} is not faked`);
    }
  }
}
