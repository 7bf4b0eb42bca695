// Credential vending (DESIGN.md §4): the workflow decides (a lease, refused unless the grant is
// active and the caller is its requester), the api executes (AssumeRole as the broker with
// SourceIdentity, the grant's session name, session tags and a clamped duration) and returns the
// credentials straight to the caller. The workflow is told the access key id and expiry only.
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { STSClient } from '@aws-sdk/client-sts';
import type { BreakGlassClient } from '../client/break-glass-client';
import { SafeguardError } from '../client/errors';
import type { AccessRefusal, VendingLease } from '../workflows/break-glass/definitions';
import { ApiError } from './http';
import { auditRefusal } from './sessions';
import { refusalInfo } from '../workflows/shared/refusals';

/** The AWS CLI's credential_process output format. */
export interface ProcessCredentials {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export interface VendingDeps {
  breakGlass: BreakGlassClient;
  brokerSts: () => STSClient;
  /** For refusals that have no workflow to be recorded in (unknown grant). */
  recordRefusal: (refusal: AccessRefusal & { grantId: string }) => Promise<void>;
}


/** Asks the workflow for a lease; maps its refusals to HTTP and records them with the grant. */
export async function leaseFor(deps: VendingDeps, grantId: string, person: string, what: AccessRefusal['what']): Promise<VendingLease> {
  try {
    return await deps.breakGlass.reserveCredentials(grantId, person);
  } catch (err) {
    if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND') {
      const ended = await deps.breakGlass.exists(grantId);
      await deps.recordRefusal({ grantId, by: person, code: ended ? 'GRANT_ENDED' : 'UNKNOWN_GRANT', what });
      if (ended) throw new ApiError(410, 'GRANT_REVOKED', 'this grant has ended');
      throw new ApiError(404, 'UNKNOWN_GRANT', `no grant with id ${grantId}`);
    }
    if (err instanceof SafeguardError && err.code === 'INVALID_ID') throw new ApiError(400, 'INVALID_ID', err.message);
    const r = err instanceof SafeguardError ? refusalInfo(err.refusal) : undefined;
    if (err instanceof SafeguardError && r) {
      // A running grant records its own refusals (up to its cap: each is a history event); an
      // ended one cannot, so the evidence store does.
      if (err.refusal === 'RequestEnded') await deps.recordRefusal({ grantId, by: person, code: 'GRANT_ENDED', what });
      else {
        const status = await deps.breakGlass.status(grantId).catch(() => undefined);
        if (status) await auditRefusal(deps.breakGlass, status, { by: person, code: r.apiCode, what });
      }
      throw new ApiError(r.http, r.apiCode, err.message);
    }
    throw err;
  }
}

export async function vendCredentials(deps: VendingDeps, grantId: string, person: string): Promise<ProcessCredentials> {
  const lease = await leaseFor(deps, grantId, person, 'credentials');
  if (Date.parse(lease.leaseExpiresAt) <= Date.now()) throw new ApiError(503, 'LEASE_EXPIRED', 'took too long to mint credentials; try again');
  let out;
  try {
    out = await deps.brokerSts().send(
      new AssumeRoleCommand({
        RoleArn: lease.roleArn,
        RoleSessionName: lease.sessionName,
        SourceIdentity: lease.sourceIdentity,
        Tags: lease.tags,
        DurationSeconds: lease.durationSeconds,
      }),
    );
  } catch (err) {
    await deps.breakGlass.leaseReleased(grantId, lease.leaseId).catch(() => undefined);
    throw new ApiError(502, 'ASSUME_ROLE_FAILED', `AssumeRole failed: ${(err as Error).name}`);
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    await deps.breakGlass.leaseReleased(grantId, lease.leaseId).catch(() => undefined);
    throw new ApiError(502, 'ASSUME_ROLE_FAILED', 'AssumeRole returned no credentials');
  }
  const expiresAt = c.Expiration.toISOString();
  // Issue time by STS's own clock (expiry minus the duration asked for), not ours: the revocation's
  // cut-off is compared with it. Whichever is later counts, to be safe.
  const issuedAtMs = Math.max(c.Expiration.getTime() - lease.durationSeconds * 1000, Date.now());
  // A lease that expired before AssumeRole answered may already be behind the revocation's cut-off:
  // such credentials would not be denied by it, so they are never handed over (DESIGN.md §4).
  const delivered = Date.now() < Date.parse(lease.leaseExpiresAt) && issuedAtMs < Date.parse(lease.leaseExpiresAt);
  // Only the key id and expiry go to the workflow (and so to history and evidence).
  const issue = { accessKeyId: c.AccessKeyId, expiresAt, issuedAt: new Date(issuedAtMs).toISOString(), leaseId: lease.leaseId };
  if (!delivered) {
    // Told to the workflow so its cut-off moves past them (if it is still revoking); it may have ended.
    await deps.breakGlass.credentialsIssued(grantId, { ...issue, delivered: false }).catch(() => undefined);
    throw new ApiError(503, 'LEASE_EXPIRED', 'AWS took too long to mint credentials and the grant may be revoking; they were discarded: try again');
  }
  await deps.breakGlass.credentialsIssued(grantId, issue);
  return { Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: expiresAt };
}
