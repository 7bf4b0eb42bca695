// Secrets Manager calls for the key store. Every read names its version (by id or by stage): moto
// answers a plain GetSecretValue from the secret's first AWSCURRENT even after a stage move, and on
// AWS an explicit stage costs nothing. Secret strings pass through to the caller and are never
// logged or put in an error message.
import { createHash } from 'node:crypto';
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RotationFailures, rotationCall, stop, unlessNotFound } from '../rotation/failures';

export const STAGE_CURRENT = 'AWSCURRENT';
export const STAGE_PENDING = 'AWSPENDING';
export const STAGE_PREVIOUS = 'AWSPREVIOUS';

const secretNotFound = { ResourceNotFound: { type: RotationFailures.keyStoreNotFound, nonRetryable: true } } as const;

/**
 * The ClientRequestToken (and so the VersionId) of a rotation's version: derived from the rotation
 * id, so a retried or re-run activity writes the same version and Secrets Manager keeps one. UUID
 * shaped (36 characters; AWS wants 32–64).
 */
export function rotationVersionId(rotationId: string): string {
  const h = createHash('sha256').update(`safeguard-rotation:${rotationId}`).digest('hex');
  // Version nibble 5 and the RFC 4122 variant, as a name-based UUID would have.
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Version id → its staging labels (versions without labels are not listed); undefined when the secret does not exist. */
export async function secretStages(sm: SecretsManagerClient, secretId: string): Promise<Record<string, string[]> | undefined> {
  const out = await rotationCall('DescribeSecret', () => unlessNotFound(sm.send(new DescribeSecretCommand({ SecretId: secretId })), 'ResourceNotFound'));
  return out ? (out.VersionIdsToStages ?? {}) : undefined;
}

/** As secretStages, for the calls that need the secret to exist (Safeguard never creates one). */
export async function existingSecretStages(sm: SecretsManagerClient, secretId: string): Promise<Record<string, string[]>> {
  const stages = await secretStages(sm, secretId);
  if (!stages) stop(RotationFailures.keyStoreNotFound, `secret ${secretId} does not exist`);
  return stages;
}

export function versionWithStage(stages: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];
}

export interface SecretVersion {
  versionId: string;
  secretString: string | undefined;
}

/** Undefined when the secret has no such version. */
export async function getSecretVersion(sm: SecretsManagerClient, secretId: string, versionId: string): Promise<SecretVersion | undefined> {
  const out = await rotationCall('GetSecretValue', () => unlessNotFound(sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId })), 'ResourceNotFound'));
  return out ? { versionId: out.VersionId ?? versionId, secretString: out.SecretString } : undefined;
}

/** Writes a new version labelled AWSPENDING only (AWSCURRENT stays where it is). Idempotent per token. */
export async function putPendingVersion(sm: SecretsManagerClient, secretId: string, token: string, secretString: string, secrets: readonly string[] = []): Promise<string> {
  const out = await rotationCall(
    'PutSecretValue',
    () => sm.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: secretString, VersionStages: [STAGE_PENDING] })),
    {
      ...secretNotFound,
      // The token's version appeared with another value since the caller looked: another attempt of
      // the same rotation wrote first. The retry finds that version and takes it (or stops).
      ResourceExists: { type: RotationFailures.storeWriteConflict, nonRetryable: false },
    },
    [secretString, ...secrets],
  );
  return out.VersionId ?? token;
}

/** Moves `stage` to `moveTo` (from `removeFrom`), or with no `moveTo` just takes it off `removeFrom`. */
export async function moveStage(sm: SecretsManagerClient, secretId: string, stage: string, move: { moveTo?: string; removeFrom?: string }): Promise<void> {
  await rotationCall(
    'UpdateSecretVersionStage',
    () =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          ...(move.moveTo ? { MoveToVersionId: move.moveTo } : {}),
          ...(move.removeFrom ? { RemoveFromVersionId: move.removeFrom } : {}),
        }),
      ),
    secretNotFound,
  );
}
