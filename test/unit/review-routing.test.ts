// Who reviews each principal: the owner tag, the account's fallback group, exemptions, and the
// escalation group whenever the reviewer would otherwise review their own access.
import { flagged, globToRegExp, reviewerKey, routeReview, type RoutingInput } from '../../activities/reviews/routing';
import type { AccessReviewPolicy, Person } from '../../config/policy/types';
import type { Finding, Principal } from '../../workflows/access-review/inventory';

const A = '111111111111';
const B = '222222222222';
const DAY = 24 * 60 * 60 * 1000;

const review = (over: Partial<AccessReviewPolicy> = {}): AccessReviewPolicy => ({
  name: 'quarterly',
  accounts: ['prod', 'staging'],
  owners: { tag: 'owner', fallback: { [A]: 'platform', [B]: 'data' } },
  escalation: 'security',
  deadlineMs: 14 * DAY,
  remindEveryMs: 2 * DAY,
  escalateAfterMs: 7 * DAY,
  defaultAction: 'disable-keys',
  exempt: [],
  keyMaxAgeMs: 90 * DAY,
  unusedAfterMs: 90 * DAY,
  identityCenter: false,
  ...over,
});

const person = (id: string, over: Partial<Person> = {}): Person => ({ id, name: id, email: `${id}@example.com`, slackId: `U${id.toUpperCase()}`, awsPrincipals: [], groups: [], ...over });
const people: Person[] = [
  person('alice', { awsPrincipals: [`arn:aws:iam::${A}:user/alice`], groups: ['platform'] }),
  person('bob', { email: 'Bob.Builder@Example.com', awsPrincipals: [`arn:aws:iam::${A}:user/bob`], groups: ['data'] }),
  person('carol', { groups: ['security'] }),
  person('dan', { slackId: undefined as never, groups: ['platform'] }),
];
const groups = [{ id: 'platform' }, { id: 'data' }, { id: 'security' }];

const iamUser = (account: string, name: string, tags: Record<string, string> = {}): Principal => ({
  key: `arn:aws:iam::${account}:user/${name}`,
  type: 'user',
  accountId: account,
  name,
  arn: `arn:aws:iam::${account}:user/${name}`,
  tags,
  accessKeys: [],
  managedPolicies: [],
  inlinePolicies: [],
  groups: [],
  groupPolicies: [],
});
const iamRole = (account: string, name: string, tags: Record<string, string> = {}): Principal => ({ ...iamUser(account, name, tags), key: `arn:aws:iam::${account}:role/${name}`, arn: `arn:aws:iam::${account}:role/${name}`, type: 'role' });
const ssoUser = (account: string, sso: { userName?: string; email?: string }, principalType: 'USER' | 'GROUP' = 'USER'): Principal => ({
  ...iamUser(account, sso.userName ?? 'someone'),
  key: `sso:${account}:AdministratorAccess:${principalType}:u-${sso.userName ?? 'x'}`,
  type: 'sso-assignment',
  arn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1',
  sso: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1', permissionSetName: 'AdministratorAccess', principalType, principalId: `u-${sso.userName ?? 'x'}`, ...sso },
});

const route = (principals: Principal[], over: Partial<RoutingInput> = {}) => routeReview({ review: review(), policy: { people, groups }, principals, findings: new Map(), ...over });
const itemsOf = (r: ReturnType<typeof route>) => new Map(r.reviewers.flatMap((x) => x.items.map((i) => [i.key, { reviewer: reviewerKey(x.reviewer), route: i.route, holder: i.holder }] as const)));

describe('routeReview', () => {
  it('routes a principal whose owner tag names a person (by id, or email in any case) to that person', () => {
    const r = itemsOf(route([iamRole(A, 'app', { owner: 'carol' }), iamRole(A, 'etl', { owner: ' BOB.builder@example.COM ' })]));
    expect(r.get(`arn:aws:iam::${A}:role/app`)).toEqual({ reviewer: 'person:carol', route: 'owner-tag', holder: undefined });
    expect(r.get(`arn:aws:iam::${A}:role/etl`)).toEqual({ reviewer: 'person:bob', route: 'owner-tag', holder: undefined });
  });

  it('keeps a person without a Slack id as a person reviewer', () => {
    expect(itemsOf(route([iamRole(B, 'app', { owner: 'dan' })])).get(`arn:aws:iam::${B}:role/app`)?.reviewer).toBe('person:dan');
  });

  it('reads the owner tag under another capitalisation when the exact key is absent', () => {
    expect(itemsOf(route([iamRole(A, 'app', { Owner: 'carol' })])).get(`arn:aws:iam::${A}:role/app`)?.reviewer).toBe('person:carol');
    expect(itemsOf(route([iamRole(A, 'app', { Owner: 'bob', owner: 'carol' })])).get(`arn:aws:iam::${A}:role/app`)?.reviewer).toBe('person:carol');
  });

  it('sends an owner tag that names nobody to the account’s fallback group as unknown-owner', () => {
    expect(itemsOf(route([iamRole(B, 'app', { owner: 'zoe@example.com' })])).get(`arn:aws:iam::${B}:role/app`)).toMatchObject({ reviewer: 'group:data', route: 'unknown-owner' });
  });

  it('sends an untagged principal to its account’s group, or the escalation group when the account has none', () => {
    const r = itemsOf(route([iamRole(A, 'app'), iamRole(B, 'app'), iamRole('333333333333', 'app'), iamRole(A, 'blank', { owner: '  ' })]));
    expect(r.get(`arn:aws:iam::${A}:role/app`)).toMatchObject({ reviewer: 'group:platform', route: 'account-group' });
    expect(r.get(`arn:aws:iam::${B}:role/app`)).toMatchObject({ reviewer: 'group:data', route: 'account-group' });
    expect(r.get('arn:aws:iam::333333333333:role/app')).toMatchObject({ reviewer: 'group:security', route: 'account-group' });
    expect(r.get(`arn:aws:iam::${A}:role/blank`)).toMatchObject({ reviewer: 'group:platform', route: 'account-group' });
  });

  it('escalates a principal whose owner is its own holder', () => {
    expect(itemsOf(route([iamUser(A, 'bob', { owner: 'bob' })])).get(`arn:aws:iam::${A}:user/bob`)).toEqual({ reviewer: 'group:security', route: 'self-review-escalated', holder: 'bob' });
  });

  it('escalates a principal whose reviewer group has its holder as a member, and not otherwise', () => {
    const r = itemsOf(route([iamUser(A, 'alice'), iamUser(A, 'bob'), iamUser(B, 'nobody', { owner: 'nobody' })]));
    expect(r.get(`arn:aws:iam::${A}:user/alice`)).toEqual({ reviewer: 'group:security', route: 'self-review-escalated', holder: 'alice' });
    expect(r.get(`arn:aws:iam::${A}:user/bob`)).toEqual({ reviewer: 'group:platform', route: 'account-group', holder: 'bob' });
    expect(r.get(`arn:aws:iam::${B}:user/nobody`)).toEqual({ reviewer: 'group:data', route: 'unknown-owner', holder: undefined });
  });

  it('finds the holder of an Identity Center user assignment by email or user name, and of a group assignment never', () => {
    const r = itemsOf(
      route([
        ssoUser(B, { email: 'BOB.BUILDER@example.com', userName: 'bobby' }),
        ssoUser(A, { userName: 'alice' }),
        ssoUser(B, { userName: 'carol' }, 'GROUP'),
      ]),
    );
    expect(r.get(`sso:${B}:AdministratorAccess:USER:u-bobby`)).toEqual({ reviewer: 'group:security', route: 'self-review-escalated', holder: 'bob' });
    expect(r.get(`sso:${A}:AdministratorAccess:USER:u-alice`)).toEqual({ reviewer: 'group:security', route: 'self-review-escalated', holder: 'alice' });
    expect(r.get(`sso:${B}:AdministratorAccess:GROUP:u-carol`)).toEqual({ reviewer: 'group:data', route: 'account-group', holder: undefined });
  });

  it('lists exempt principals by key or ARN, globs included, with the first matching exemption’s reason and their findings', () => {
    const finding: Finding = { code: 'principal-unused', severity: 'low', detail: 'role never used, created 400 days ago' };
    const r = route([iamRole(A, 'OrganizationAccountAccessRole'), iamRole(B, 'OrganizationAccountAccessRole'), iamRole(A, 'svc-backup'), ssoUser(A, { userName: 'alice' }), iamRole(A, 'app')], {
      review: review({
        exempt: [
          { principal: 'arn:aws:iam::*:role/OrganizationAccountAccessRole', reason: 'managed by Organizations' },
          { principal: `arn:aws:iam::${A}:role/svc-*`, reason: 'service roles are reviewed in the CMDB' },
          { principal: `arn:aws:iam::${A}:role/svc-backup`, reason: 'listed second: never the reason' },
          { principal: `sso:${A}:AdministratorAccess:USER:u-alice`, reason: 'break-glass SSO user' },
        ],
      }),
      findings: new Map([[`arn:aws:iam::${A}:role/svc-backup`, [finding]]]),
    });
    expect(r.exempt).toEqual([
      { key: `arn:aws:iam::${A}:role/OrganizationAccountAccessRole`, reason: 'managed by Organizations', findings: [], accountId: A, type: 'role', name: 'OrganizationAccountAccessRole' },
      { key: `arn:aws:iam::${A}:role/svc-backup`, reason: 'service roles are reviewed in the CMDB', findings: [finding], accountId: A, type: 'role', name: 'svc-backup' },
      { key: `arn:aws:iam::${B}:role/OrganizationAccountAccessRole`, reason: 'managed by Organizations', findings: [], accountId: B, type: 'role', name: 'OrganizationAccountAccessRole' },
      { key: `sso:${A}:AdministratorAccess:USER:u-alice`, reason: 'break-glass SSO user', findings: [], accountId: A, type: 'sso-assignment', name: 'alice' },
    ]);
    expect(r.reviewers.flatMap((x) => x.items.map((i) => i.key))).toEqual([`arn:aws:iam::${A}:role/app`]);
  });

  it('matches a glob against the whole key, escaping everything but *', () => {
    expect(globToRegExp('arn:aws:iam::*:role/a.b').test('arn:aws:iam::1:role/a.b')).toBe(true);
    expect(globToRegExp('arn:aws:iam::*:role/a.b').test('arn:aws:iam::1:role/aXb')).toBe(false);
    expect(globToRegExp('arn:aws:iam::1:role/app').test('arn:aws:iam::1:role/app-2')).toBe(false);
    expect(globToRegExp('*').test('anything:at/all')).toBe(true);
  });

  it('carries each item’s finding codes once, and flags only items with findings', () => {
    const key = `arn:aws:iam::${A}:user/x`;
    const found: Finding[] = [
      { code: 'access-key-old', severity: 'medium', detail: 'key AKIA…1111 is 100 days old (limit 90)' },
      { code: 'access-key-old', severity: 'medium', detail: 'key AKIA…2222 is 100 days old (limit 90)' },
      { code: 'principal-unused', severity: 'low', detail: 'x' },
    ];
    const r = route([iamUser(A, 'x'), iamUser(A, 'y')], { findings: new Map([[key, found]]) });
    const items = r.reviewers.flatMap((x) => x.items);
    expect(items.find((i) => i.key === key)?.findings).toEqual(['access-key-old', 'principal-unused']);
    expect(items.map(flagged)).toEqual([true, false]);
  });

  it('is deterministic: the same output, sorted, whatever order the principals came in', () => {
    const principals = [iamRole(B, 'z'), iamUser(A, 'alice'), iamRole(A, 'm', { owner: 'carol' }), iamRole(A, 'a'), iamRole(B, 'b', { owner: 'bob' }), iamRole(A, 'c', { owner: 'dan' })];
    const first = route(principals);
    expect(route([...principals].reverse())).toEqual(first);
    expect(first.reviewers.map((x) => reviewerKey(x.reviewer))).toEqual(['group:data', 'group:platform', 'group:security', 'person:bob', 'person:carol', 'person:dan']);
    for (const x of first.reviewers) expect(x.items.map((i) => i.key)).toEqual(x.items.map((i) => i.key).sort());
  });

  it('routes 10,000 principals in well under a second', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? iamRole(i % 2 ? A : B, `r-${i}`, { owner: i % 5 === 0 ? 'carol' : `p${i}@example.com` }) : iamUser(i % 2 ? A : B, `u-${i}`)));
    const manyPeople = [...people, ...Array.from({ length: 2_000 }, (_, i) => person(`p${i}`, { awsPrincipals: [`arn:aws:iam::${A}:user/u-${i}`], groups: ['data'] }))];
    const findings = new Map(many.map((p, i) => [p.key, i % 4 === 0 ? [{ code: 'principal-unused' as const, severity: 'low' as const, detail: 'x' }] : []]));
    const exempt = Array.from({ length: 20 }, (_, i) => ({ principal: `arn:aws:iam::${A}:role/r-${i}*`, reason: 'bulk' }));
    const started = performance.now();
    const r = routeReview({ review: review({ exempt }), policy: { people: manyPeople, groups }, principals: many, findings });
    const elapsed = performance.now() - started;
    expect(r.exempt.length + r.reviewers.reduce((n, x) => n + x.items.length, 0)).toBe(10_000);
    expect(elapsed).toBeLessThan(500);
  });
});

describe('reviewerKey', () => {
  it('names people and groups apart', () => {
    expect(reviewerKey({ type: 'person', id: 'alice' })).toBe('person:alice');
    expect(reviewerKey({ type: 'group', id: 'platform' })).toBe('group:platform');
  });
});
