// Credential vending (DESIGN.md §4): the workflow decides (a lease, refused unless the grant is
// active and the caller is its requester), the caller executes (AssumeRole as the broker with
// SourceIdentity, the grant's session name, session tags and a clamped duration) and gets the
// credentials straight back. The workflow is told the access key id and expiry only.
// Two callers, one code path: the api (a person's `safeguard creds`) and the fire drill's probe
// (activities/fire-drill), so a drill proves the path people's credentials go through. Hence it
// lives here, below both, and refuses with VendingRefusal (status + api code), not an api type.
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { STSClient } from '@aws-sdk/client-sts';
import type { BreakGlassClient } from './break-glass-client';
import { SafeguardError, VendingRefusal } from './errors';
import { MAX_RECORDED_REFUSALS } from '../workflows/break-glass/definitions';
import type { AccessRefusal, BreakGlassStatus, VendingLease } from '../workflows/break-glass/definitions';
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

/** Records a refusal on the running grant while it is under its cap (each signal is history). */
export async function auditRefusal(breakGlass: BreakGlassClient, status: BreakGlassStatus, refusal: AccessRefusal): Promise<void> {
  if ((status.counts?.refusals ?? 0) >= MAX_RECORDED_REFUSALS) return;
  await breakGlass.accessRefused(status.grantId, refusal).catch(() => undefined);
}

/** Asks the workflow for a lease; maps its refusals to HTTP status and api code and records them with the grant. */
export async function leaseFor(deps: VendingDeps, grantId: string, person: string, what: AccessRefusal['what']): Promise<VendingLease> {
  try {
    return await deps.breakGlass.reserveCredentials(grantId, person);
  } catch (err) {
    if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND') {
      const ended = await deps.breakGlass.exists(grantId);
      await deps.recordRefusal({ grantId, by: person, code: ended ? 'GRANT_ENDED' : 'UNKNOWN_GRANT', what });
      if (ended) throw new VendingRefusal(410, 'GRANT_REVOKED', 'this grant has ended', { cause: err });
      throw new VendingRefusal(404, 'UNKNOWN_GRANT', `no grant with id ${grantId}`, { cause: err });
    }
    if (err instanceof SafeguardError && err.code === 'INVALID_ID') throw new VendingRefusal(400, 'INVALID_ID', err.message, { cause: err });
    const r = err instanceof SafeguardError ? refusalInfo(err.refusal) : undefined;
    if (err instanceof SafeguardError && r) {
      // A running grant records its own refusals (up to its cap: each is a history event); an
      // ended one cannot, so the evidence store does.
      if (err.refusal === 'RequestEnded') await deps.recordRefusal({ grantId, by: person, code: 'GRANT_ENDED', what });
      else {
        const status = await deps.breakGlass.status(grantId).catch(() => undefined);
        if (status) await auditRefusal(deps.breakGlass, status, { by: person, code: r.apiCode, what });
      }
      throw new VendingRefusal(r.http, r.apiCode, err.message, { cause: err });
    }
    throw err;
  }
}

export async function vendCredentials(deps: VendingDeps, grantId: string, person: string): Promise<ProcessCredentials> {
  const lease = await leaseFor(deps, grantId, person, 'credentials');
  if (Date.parse(lease.leaseExpiresAt) <= Date.now()) throw new VendingRefusal(503, 'LEASE_EXPIRED', 'took too long to mint credentials; try again');
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
    throw new VendingRefusal(502, 'ASSUME_ROLE_FAILED', `AssumeRole failed: ${(err as Error).name}`, { cause: err });
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    await deps.breakGlass.leaseReleased(grantId, lease.leaseId).catch(() => undefined);
    throw new VendingRefusal(502, 'ASSUME_ROLE_FAILED', 'AssumeRole returned no credentials');
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
    throw new VendingRefusal(503, 'LEASE_EXPIRED', 'AWS took too long to mint credentials and the grant may be revoking; they were discarded: try again');
  }
  await deps.breakGlass.credentialsIssued(grantId, issue);
  return { Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: expiresAt };
}
