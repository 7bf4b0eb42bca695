// IAM listings as AWS pages them, and moto's answers where they differ from AWS's in shape:
// - GetAccountAuthorizationDetails and ListUsers: moto ignores MaxItems and Marker and answers
//   everything with IsTruncated false; AWS answers at most MaxItems (default 100). The gateway asks
//   moto once per listing, keeps the answer as a snapshot for the pages that follow (an inventory
//   of 5,000 principals is 50 pages; asking moto for all of it 50 times would take minutes), and
//   serves each page from it. A Marker names the snapshot and the position; when the snapshot has
//   been dropped (after 10 minutes, or when more listings are open) moto is asked again and the
//   page starts at the same position, as a paginator over a changing account may see in AWS.
// - GetAccountAuthorizationDetails: roles' AssumeRolePolicyDocument URL-encoded as IAM does (moto
//   sends plain JSON; GetRole is right), and of the AWS managed policies only those in use.
// - ListRoles: the same encoding.
// - GetAccountSummary: AccountMFAEnabled and AccountAccessKeysPresent describe the root user
//   (iam-ages.ts RootAccounts), which moto does not have (it answers 0 and 0).

import { randomUUID } from 'node:crypto';
import { awsErrorReply } from '../faults';
import type { RootAccounts } from '../iam-ages';
import { decodeMarker, encodeMarker, encodePolicyDocuments, inUsePolicies, listMembers, listingXml, pageOf, parseMaxItems } from '../iam-paging';
import type { ListingList } from '../iam-paging';
import { accountOf } from './iam-report';
import { errorToReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext } from './types';

interface Listing {
  lists: string[];
  /** moto's lists into AWS's. */
  fix?: (lists: ListingList[]) => ListingList[];
}

const LISTINGS: Record<string, Listing> = {
  GetAccountAuthorizationDetails: {
    lists: ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'],
    fix: (lists) =>
      lists.map((l) =>
        l.name === 'RoleDetailList'
          ? { name: l.name, members: l.members.map((m) => encodePolicyDocuments(m)) }
          : l.name === 'Policies'
            ? { name: l.name, members: inUsePolicies(l.members) }
            : l,
      ),
  },
  ListUsers: { lists: ['Users'] },
};

export const PAGED_IAM_ACTIONS = new Set(Object.keys(LISTINGS));

interface Snapshot {
  id: string;
  /** Account, action and every parameter but MaxItems and Marker: a marker continues only the same listing. */
  key: string;
  lists: ListingList[];
  at: number;
}

export interface IamListingOptions {
  roots: RootAccounts;
  /** How long a listing's snapshot serves its pages. Default 10 minutes. */
  snapshotTtlMs?: number;
  /** Open listings kept (each holds a whole answer: ~10 MB for 10,000 principals). Default 8. */
  maxSnapshots?: number;
}

export function iamListing(opts: IamListingOptions) {
  const ttl = opts.snapshotTtlMs ?? 600_000;
  const maxSnapshots = opts.maxSnapshots ?? 8;
  const snapshots = new Map<string, Snapshot>();

  function keep(s: Snapshot, now: number): void {
    for (const [id, old] of snapshots) if (now - old.at > ttl) snapshots.delete(id);
    while (snapshots.size >= maxSnapshots) {
      const oldest = snapshots.keys().next().value;
      if (oldest === undefined) break;
      snapshots.delete(oldest);
    }
    snapshots.set(s.id, s);
  }

  function listingKey(call: AwsCall): string {
    const params = Object.entries(call.info.params)
      .filter(([k]) => k !== 'MaxItems' && k !== 'Marker')
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([accountOf(call.caller.arn), call.info.action, params]);
  }

  /** A page of GetAccountAuthorizationDetails or ListUsers. */
  async function page(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const { info } = call;
    const listing = LISTINGS[info.action];
    if (!listing) throw new Error(`no paging for ${info.action}`);
    const maxItems = parseMaxItems(typeof info.params['MaxItems'] === 'string' ? info.params['MaxItems'] : undefined);
    if (typeof maxItems !== 'number') return { reply: errorToReply(awsErrorReply('query', 400, 'ValidationError', maxItems.error)), servedBy: 'gateway' };
    const key = listingKey(call);
    const now = ctx.now();

    let offset = 0;
    let snapshot: Snapshot | undefined;
    const rawMarker = info.params['Marker'];
    if (typeof rawMarker === 'string' && rawMarker !== '') {
      const marker = decodeMarker(rawMarker);
      if (!marker) return { reply: errorToReply(awsErrorReply('query', 400, 'ValidationError', 'Invalid Marker: pass the Marker of the previous answer unchanged.')), servedBy: 'gateway' };
      offset = marker.offset;
      const kept = snapshots.get(marker.snapshot);
      // Another account's or another listing's marker never continues this one.
      if (kept && kept.key === key && now - kept.at <= ttl) snapshot = kept;
    }

    let servedBy: Handled['servedBy'] = 'gateway';
    if (!snapshot) {
      const reply = await ctx.forward(call);
      if (reply.status !== 200) return { reply, servedBy: 'moto' };
      const text = reply.body.toString('utf8');
      const moto = listing.lists.map((name) => ({ name, members: listMembers(text, name) ?? [] }));
      snapshot = { id: randomUUID(), key, lists: listing.fix ? listing.fix(moto) : moto, at: now };
      keep(snapshot, now);
      servedBy = 'moto';
    }

    const { lists, next } = pageOf(snapshot.lists, offset, maxItems);
    const marker = next !== undefined ? encodeMarker({ snapshot: snapshot.id, offset: next }) : undefined;
    if (next === undefined) snapshots.delete(snapshot.id);
    const body = listingXml(info.action, lists, marker, randomUUID());
    return { reply: { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: Buffer.from(body) }, servedBy };
  }

  /** moto's answers to other IAM listings, in AWS's shape. */
  function afterMoto(call: AwsCall, reply: Reply): Reply {
    if (reply.status !== 200) return reply;
    if (call.info.action === 'ListRoles') return { ...reply, body: Buffer.from(encodePolicyDocuments(reply.body.toString('utf8'))) };
    if (call.info.action === 'GetAccountSummary') {
      const root = opts.roots.get(accountOf(call.caller.arn));
      const text = reply.body
        .toString('utf8')
        .replace(/(<key>AccountMFAEnabled<\/key><value>)\d+(<\/value>)/, `$1${root.mfaActive ? 1 : 0}$2`)
        .replace(/(<key>AccountAccessKeysPresent<\/key><value>)\d+(<\/value>)/, `$1${root.accessKeysActive > 0 ? 1 : 0}$2`);
      return { ...reply, body: Buffer.from(text) };
    }
    return reply;
  }

  return { page, afterMoto };
}
