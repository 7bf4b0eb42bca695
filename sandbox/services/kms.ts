// KMS: key rotation as AWS does it (kms-rotation.ts) over moto's keys, and keys with ids of the
// policy's choosing. moto 5.2.5 cannot create a key with a given id (its CreateKey always draws a
// random UUID; there is no custom-id tag for KMS), so a key the policy names by id or ARN is
// created with moto's id and the gateway translates: the chosen id in a request becomes moto's,
// and moto's id in an answer becomes the chosen one.

import { awsErrorReply, requestId } from '../faults';
import { KeyedLock } from '../keyed-lock';
import { KmsApiError, KmsRotations, keyFactsOf, validateRotationPeriod } from './kms-rotation';
import type { KmsKeyFacts, KmsRotationOptions } from './kms-rotation';
import { errorToReply, jsonReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

const KMS_TARGET = 'TrentService';
/** Request parameters that name a key. */
const KEY_PARAMS = ['KeyId', 'DestinationKeyId', 'TargetKeyId', 'SourceKeyId'] as const;
const ROTATION_ACTIONS = new Set(['EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand']);

export interface KmsService extends ServiceHandler {
  /** Answers for moto's key `motoKeyId` under the id `visibleKeyId` from now on. */
  registerKeyId(visibleKeyId: string, motoKeyId: string): void;
  readonly rotations: KmsRotations;
}

export function kmsService(opts: KmsRotationOptions = {}): KmsService {
  const rotations = new KmsRotations(opts);
  const onDemandLock = new KeyedLock();
  /** visible id → moto id, and back. */
  const toMoto = new Map<string, string>();
  const toVisible = new Map<string, string>();

  function rewriteRequest(params: Record<string, unknown>): Record<string, unknown> | undefined {
    if (toMoto.size === 0) return undefined;
    let out: Record<string, unknown> | undefined;
    for (const k of KEY_PARAMS) {
      const v = params[k];
      if (typeof v !== 'string') continue;
      const id = keyIdIn(v);
      const motoId = id === undefined ? undefined : toMoto.get(id);
      if (id === undefined || motoId === undefined) continue;
      out ??= { ...params };
      out[k] = v.slice(0, v.length - id.length) + motoId;
    }
    return out;
  }

  function rewriteReply(reply: Reply): Reply {
    if (toVisible.size === 0) return reply;
    let text = reply.body.toString('utf8');
    let changed = false;
    for (const [motoId, visible] of toVisible) {
      if (!text.includes(motoId)) continue;
      text = text.split(motoId).join(visible);
      changed = true;
    }
    return changed ? { ...reply, body: Buffer.from(text) } : reply;
  }

  async function describe(ctx: ServiceContext, call: AwsCall, keyId: string): Promise<KmsKeyFacts | undefined> {
    const res = await ctx.motoJson(call.caller, 'kms', `${KMS_TARGET}.DescribeKey`, { KeyId: keyId });
    return res.status === 200 ? keyFactsOf(res.body) : undefined;
  }

  async function rotation(ctx: ServiceContext, call: AwsCall, params: Record<string, unknown>, forward: () => Promise<Reply>): Promise<Handled> {
    const keyId = typeof params['KeyId'] === 'string' ? params['KeyId'] : undefined;
    // Rotation APIs take a key id or ARN only; aliases, missing ids and unknown keys are moto's to refuse.
    if (keyId === undefined || keyId.startsWith('alias/') || keyId.includes(':alias/')) return { reply: await forward(), servedBy: 'moto' };
    const action = call.info.action;
    // AWS validates the input before it looks the key up.
    if (action === 'EnableKeyRotation') {
      try {
        validateRotationPeriod(params['RotationPeriodInDays']);
      } catch (err) {
        if (err instanceof KmsApiError) return refuse(err);
        throw err;
      }
    }
    const key = await describe(ctx, call, keyId);
    if (!key) return { reply: await forward(), servedBy: 'moto' };
    try {
      switch (action) {
        case 'EnableKeyRotation':
          return await commitAfter(rotations.admitEnable(key, params['RotationPeriodInDays']), forward);
        case 'DisableKeyRotation':
          return await commitAfter(rotations.admitDisable(key), forward);
        case 'RotateKeyOnDemand':
          // Admission and moto's write together, so two concurrent calls cannot both start one.
          return await onDemandLock.run(key.keyId, async () => commitAfter(rotations.admitOnDemand(key), forward));
        default: {
          // GetKeyRotationStatus: moto knows whether rotation is on; the gateway knows the rest.
          const reply = await forward();
          if (reply.status !== 200) return { reply, servedBy: 'moto' };
          const enabled = (JSON.parse(reply.body.toString('utf8')) as { KeyRotationEnabled?: unknown }).KeyRotationEnabled === true;
          return { reply: jsonReply(rotations.status(key, enabled), requestId()), servedBy: 'gateway' };
        }
      }
    } catch (err) {
      if (err instanceof KmsApiError) return refuse(err);
      throw err;
    }
  }

  return {
    service: 'kms',
    rotations,
    registerKeyId(visibleKeyId, motoKeyId) {
      if (visibleKeyId === motoKeyId) return;
      toMoto.set(visibleKeyId, motoKeyId);
      toVisible.set(motoKeyId, visibleKeyId);
    },
    async handle(ctx, call) {
      if (call.info.protocol !== 'json') return undefined;
      const rewritten = rewriteRequest(call.info.params);
      const params = rewritten ?? call.info.params;
      const forward = (): Promise<Reply> => (rewritten ? ctx.forward(call, Buffer.from(JSON.stringify(rewritten))) : ctx.forward(call));
      let handled: Handled | undefined;
      if (ROTATION_ACTIONS.has(call.info.action)) handled = await rotation(ctx, call, params, forward);
      else if (rewritten) handled = { reply: await forward(), servedBy: 'moto' };
      return handled && { ...handled, reply: rewriteReply(handled.reply) };
    },
    afterMoto(_ctx, _call, reply) {
      return Promise.resolve(rewriteReply(reply));
    },
  };
}

async function commitAfter(commit: () => void, forward: () => Promise<Reply>): Promise<Handled> {
  const reply = await forward();
  if (reply.status === 200) commit();
  return { reply, servedBy: 'moto' };
}

function refuse(err: KmsApiError): Handled {
  return { reply: errorToReply(awsErrorReply('json', err.status, err.code, err.message)), servedBy: 'gateway' };
}

/** The key id in a key id or key ARN (`arn:aws:kms:r:a:key/<id>`); undefined for aliases. */
export function keyIdIn(ref: string): string | undefined {
  if (ref.startsWith('alias/') || ref.includes(':alias/')) return undefined;
  const m = /^arn:[^:]+:kms:[^:]*:\d{12}:key\/(.+)$/.exec(ref);
  return m ? m[1] : ref;
}
