// Simulated consumers of service-user access keys: what a rotation must not break. Each seeded
// service user has one consumer, a loop in the sandbox host process that every `intervalMs` reads
// the user's current key from its store (an SSM SecureString parameter, decrypted, or the Secrets
// Manager secret's AWSCURRENT value; JSON {"accessKeyId","secretAccessKey"}) as the seeded reader
// identity, then calls sts:GetCallerIdentity through the gateway signed with that key. So the key
// in use shows in moto's GetAccessKeyLastUsed and in the gateway's call log (caller: the user).
//
// A "switching" consumer reads the store before every call, so it moves to a new key as soon as
// the store holds it. A "stuck" one stops reading and keeps the key it holds (the first it read, if
// it starts stuck), like a process that cached its credentials at start-up.
//
// Bounded: one call in flight per consumer, each SDK call aborted after `callTimeoutMs`, no
// retries; `stop()` ends the loops and waits for calls in flight.

import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { maskAccessKeyId } from './aws-request';

export type ConsumerMode = 'switching' | 'stuck';
export const CONSUMER_MODES: readonly ConsumerMode[] = ['switching', 'stuck'];

export type KeyStore = { type: 'ssm-parameter'; name: string; kmsKeyId?: string } | { type: 'secrets-manager'; secretId: string };

export interface ConsumerSpec {
  userName: string;
  userArn: string;
  store: KeyStore;
  mode: ConsumerMode;
}

/** A consumer as the control API shows it. */
export interface ConsumerView {
  userName: string;
  userArn: string;
  mode: ConsumerMode;
  store: KeyStore;
  /** Whether its loop runs (false once the sandbox stops, or when consumers are off). */
  running: boolean;
  /**
   * The access key id it signs with, masked like the call log (`AKIA…WXYZ`: compare with
   * maskAccessKeyId); absent until its first successful read.
   */
  keyInUse?: string;
  /** ISO time of its last successful read of the store. */
  lastReadAt?: string;
  /** ISO time and caller ARN of its last successful GetCallerIdentity. */
  lastCallAt?: string;
  lastCallerArn?: string;
  /** Its latest failure (kept after later successes; compare `at` with lastCallAt). */
  lastError?: { at: string; stage: 'read' | 'call'; code: string; message: string };
  /** Successful and failed GetCallerIdentity calls so far. */
  calls: number;
  failures: number;
}

/** What the gateway's control API needs from the consumers. */
export interface ConsumerRegistry {
  list(): ConsumerView[];
  /** Throws UnknownConsumerError for a user with no consumer. */
  setMode(userName: string, mode: ConsumerMode): ConsumerView;
}

export class UnknownConsumerError extends Error {
  readonly code = 'UnknownConsumer';
  constructor(readonly userName: string) {
    super(`no consumer for the service user ${userName}`);
    this.name = 'UnknownConsumerError';
  }
}

export interface ConsumersOptions {
  /** The gateway (consumers are ordinary AWS clients). */
  endpoint: string;
  region: string;
  /** The identity consumers read the stores with (the seeded safeguard-consumer-reader). */
  reader: { accessKeyId: string; secretAccessKey: string };
  /** Default 2000 ms. */
  intervalMs?: number;
  /** Default 5000 ms. */
  callTimeoutMs?: number;
  log?: (msg: string) => void;
}

export const DEFAULT_CONSUMER_INTERVAL_MS = 2_000;

interface HeldKey {
  accessKeyId: string;
  secretAccessKey: string;
}

interface Consumer {
  spec: ConsumerSpec;
  view: ConsumerView;
  held?: HeldKey;
  sts?: STSClient;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
}

export class Consumers implements ConsumerRegistry {
  private readonly consumers = new Map<string, Consumer>();
  private readonly ssm: SSMClient;
  private readonly secrets: SecretsManagerClient;
  private readonly intervalMs: number;
  private readonly callTimeoutMs: number;
  private readonly log: (msg: string) => void;
  private running = false;
  private stopped = false;

  constructor(
    specs: ConsumerSpec[],
    private readonly opts: ConsumersOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_CONSUMER_INTERVAL_MS;
    this.callTimeoutMs = opts.callTimeoutMs ?? 5_000;
    if (!(this.intervalMs > 0) || !(this.callTimeoutMs > 0)) throw new RangeError('consumer intervalMs and callTimeoutMs must be > 0');
    this.log = opts.log ?? (() => undefined);
    const client = { endpoint: opts.endpoint, region: opts.region, credentials: opts.reader, maxAttempts: 1 };
    this.ssm = new SSMClient(client);
    this.secrets = new SecretsManagerClient(client);
    for (const spec of specs) {
      this.consumers.set(spec.userName, {
        spec,
        view: { userName: spec.userName, userArn: spec.userArn, mode: spec.mode, store: spec.store, running: false, calls: 0, failures: 0 },
      });
    }
  }

  /** Starts every consumer's loop (the first read and call happen at once). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    for (const c of this.consumers.values()) {
      c.view.running = true;
      this.schedule(c, 0);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    for (const c of this.consumers.values()) {
      clearTimeout(c.timer);
      c.view.running = false;
    }
    await Promise.all([...this.consumers.values()].map((c) => c.inFlight));
    for (const c of this.consumers.values()) c.sts?.destroy();
    this.ssm.destroy();
    this.secrets.destroy();
  }

  list(): ConsumerView[] {
    return [...this.consumers.values()].map((c) => structuredClone(c.view));
  }

  setMode(userName: string, mode: ConsumerMode): ConsumerView {
    const c = this.consumers.get(userName);
    if (!c) throw new UnknownConsumerError(userName);
    c.view.mode = mode;
    this.log(`consumer ${userName} is now ${mode}`);
    return structuredClone(c.view);
  }

  private schedule(c: Consumer, delayMs: number): void {
    if (!this.running) return;
    c.timer = setTimeout(() => {
      c.inFlight = this.tick(c)
        .catch((err: unknown) => this.log(`consumer ${c.spec.userName}: ${(err as Error).message}`))
        .finally(() => {
          c.inFlight = undefined;
          this.schedule(c, this.intervalMs);
        });
    }, delayMs);
    c.timer.unref();
  }

  private async tick(c: Consumer): Promise<void> {
    if (c.view.mode === 'switching' || !c.held) await this.read(c);
    if (c.held && this.running) await this.call(c, c.held);
  }

  private async read(c: Consumer): Promise<void> {
    try {
      const raw = await this.readStore(c.spec.store);
      const key = parseStoredKey(raw);
      if (c.held?.accessKeyId !== key.accessKeyId) {
        c.sts?.destroy();
        c.sts = undefined;
        if (c.held) this.log(`consumer ${c.spec.userName} switched to ${maskAccessKeyId(key.accessKeyId)}`);
      }
      c.held = key;
      c.view.keyInUse = maskAccessKeyId(key.accessKeyId);
      c.view.lastReadAt = new Date().toISOString();
    } catch (err) {
      // A consumer whose read fails carries on with the key it holds, as a real one would.
      c.view.lastError = errorView('read', err);
    }
  }

  private async readStore(store: KeyStore): Promise<string | undefined> {
    const abortSignal = AbortSignal.timeout(this.callTimeoutMs);
    if (store.type === 'ssm-parameter') {
      const out = await this.ssm.send(new GetParameterCommand({ Name: store.name, WithDecryption: true }), { abortSignal });
      return out.Parameter?.Value;
    }
    const out = await this.secrets.send(new GetSecretValueCommand({ SecretId: store.secretId }), { abortSignal });
    return out.SecretString;
  }

  private async call(c: Consumer, key: HeldKey): Promise<void> {
    c.sts ??= new STSClient({ endpoint: this.opts.endpoint, region: this.opts.region, credentials: { ...key }, maxAttempts: 1 });
    try {
      const me = await c.sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(this.callTimeoutMs) });
      c.view.calls += 1;
      c.view.lastCallAt = new Date().toISOString();
      if (me.Arn) c.view.lastCallerArn = me.Arn;
    } catch (err) {
      c.view.failures += 1;
      c.view.lastError = errorView('call', err);
    }
  }
}

/** The key a store holds: JSON {"accessKeyId","secretAccessKey"}. */
export function parseStoredKey(raw: string | undefined): HeldKey {
  let v: unknown;
  try {
    v = JSON.parse(raw ?? '');
  } catch {
    throw new StoredKeyError('the stored value is not JSON');
  }
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o['accessKeyId'] !== 'string' || typeof o['secretAccessKey'] !== 'string') {
    throw new StoredKeyError('the stored value has no accessKeyId and secretAccessKey strings');
  }
  return { accessKeyId: o['accessKeyId'], secretAccessKey: o['secretAccessKey'] };
}

export class StoredKeyError extends Error {
  readonly code = 'MalformedStoredKey';
  constructor(message: string) {
    super(message);
    this.name = 'StoredKeyError';
  }
}

function errorView(stage: 'read' | 'call', err: unknown): NonNullable<ConsumerView['lastError']> {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  return { at: new Date().toISOString(), stage, code, message: typeof e.message === 'string' ? e.message : String(err) };
}
