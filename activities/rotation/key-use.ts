// Has an access key been used since a moment? IAM's last-used date (calls that authenticated) and
// CloudTrail (every call signed with the key, refused ones included: a consumer still on a
// deactivated key only shows up there). Only ever about key ids: no secret is read.
import type { Logger } from 'pino';
import { accountClients } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { accessKeyLastUsed } from '../aws/access-keys';
import { eventsByAccessKey } from '../aws/cloudtrail';
import type { AccessKeyTarget } from '../../workflows/key-rotation/targets';

export interface KeyUse {
  /** The earliest use found at or after `since`, if any. */
  usedAt?: string;
  /** Where it was seen, e.g. `cloudtrail:GetCallerIdentity (InvalidClientTokenId)`. */
  seenIn?: string;
  /** False when CloudTrail could not be read (then only IAM's last-used date was checked). */
  cloudTrailRead: boolean;
}

export function createKeyUseActivities(deps: { aws: AwsClients; logger: Logger }) {
  return {
    async accessKeyUsedSince(input: { target: AccessKeyTarget; accessKeyId: string; since: string }): Promise<KeyUse> {
      const since = new Date(input.since);
      const clients = await accountClients(deps.aws, input.target);
      const found: Array<{ at: string; seenIn: string }> = [];
      const last = await accessKeyLastUsed(clients.iam, input.accessKeyId);
      if (last?.lastUsedAt && Date.parse(last.lastUsedAt) >= since.getTime()) found.push({ at: last.lastUsedAt, seenIn: `iam-last-used:${last.service ?? 'unknown'}` });
      let cloudTrailRead = true;
      try {
        for (const e of await eventsByAccessKey(clients.cloudTrail, input.accessKeyId, since)) found.push({ at: e.at, seenIn: `cloudtrail:${e.name}${e.errorCode ? ` (${e.errorCode})` : ''}` });
      } catch (err) {
        cloudTrailRead = false;
        deps.logger.warn({ accessKeyId: input.accessKeyId, err: err instanceof Error ? err.message : String(err) }, 'CloudTrail LookupEvents failed; checked IAM last-used only');
      }
      found.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const first = found[0];
      return { ...(first ? { usedAt: first.at, seenIn: first.seenIn } : {}), cloudTrailRead };
    },
  };
}
