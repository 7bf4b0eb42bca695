// IAM listing pages the gateway serves where moto ignores MaxItems (sandbox/iam-paging.ts): splitting
// moto's XML into members (nested lists stay inside), paging across lists, markers, MaxItems as IAM
// validates it, and policy documents URL-encoded as IAM sends them.

import {
  decodeMarker,
  encodeMarker,
  encodePolicyDocuments,
  inUsePolicies,
  listMembers,
  listingXml,
  pageOf,
  parseMaxItems,
  rfc3986,
} from '../../sandbox/iam-paging';
import { xmlText } from '../../sandbox/moto-query';

const user = (name: string) =>
  `<member><UserName>${name}</UserName><UserPolicyList><member><PolicyName>p</PolicyName></member></UserPolicyList><Tags><member><Key>owner</Key><Value>bob</Value></member></Tags></member>`;
const motoAnswer = `<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult><UserDetailList>${user('a')}${user('b')}${user('c')}</UserDetailList><GroupDetailList/><RoleDetailList><member><RoleName>r</RoleName><AssumeRolePolicyDocument>{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:*"}]}</AssumeRolePolicyDocument><Tags/></member></RoleDetailList><Policies/><IsTruncated>false</IsTruncated></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>`;

describe('listMembers', () => {
  it('splits a list into whole members, keeping nested lists inside them', () => {
    const users = listMembers(motoAnswer, 'UserDetailList');
    expect(users).toEqual([user('a'), user('b'), user('c')]);
    expect(listMembers(motoAnswer, 'GroupDetailList')).toEqual([]);
    expect(listMembers(motoAnswer, 'RoleDetailList')).toHaveLength(1);
    expect(listMembers(motoAnswer, 'Nothing')).toBeUndefined();
  });

  it('refuses an answer it cannot split rather than guessing', () => {
    expect(() => listMembers('<Users><member><UserName>a</UserName></Users>', 'Users')).toThrow('unbalanced <Users>');
  });
});

describe('pageOf', () => {
  const lists = [
    { name: 'UserDetailList', members: ['u1', 'u2', 'u3'] },
    { name: 'GroupDetailList', members: [] },
    { name: 'RoleDetailList', members: ['r1', 'r2'] },
  ];

  it('counts MaxItems across the lists, in list order, and says where the next page starts', () => {
    expect(pageOf(lists, 0, 2)).toEqual({ lists: [{ name: 'UserDetailList', members: ['u1', 'u2'] }, { name: 'GroupDetailList', members: [] }, { name: 'RoleDetailList', members: [] }], next: 2 });
    expect(pageOf(lists, 2, 2)).toEqual({ lists: [{ name: 'UserDetailList', members: ['u3'] }, { name: 'GroupDetailList', members: [] }, { name: 'RoleDetailList', members: ['r1'] }], next: 4 });
    expect(pageOf(lists, 4, 2)).toEqual({ lists: [{ name: 'UserDetailList', members: [] }, { name: 'GroupDetailList', members: [] }, { name: 'RoleDetailList', members: ['r2'] }], next: undefined });
    expect(pageOf(lists, 0, 100).next).toBeUndefined();
  });
});

describe('listingXml', () => {
  it("writes IAM's answer shape: every list (empty ones self-closed), IsTruncated and Marker", () => {
    const xml = listingXml('ListUsers', [{ name: 'Users', members: ['<member><UserName>a</UserName></member>'] }], 'MARK', 'req-1');
    expect(xml).toBe(
      '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member><UserName>a</UserName></member></Users><IsTruncated>true</IsTruncated><Marker>MARK</Marker></ListUsersResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>',
    );
    const last = listingXml('ListUsers', [{ name: 'Users', members: [] }], undefined, 'req-2');
    expect(last).toContain('<Users/><IsTruncated>false</IsTruncated></ListUsersResult>');
    expect(xmlText(last, 'Marker')).toBeUndefined();
  });
});

describe('markers', () => {
  it('round-trip the snapshot and offset, and refuse what the gateway did not write', () => {
    const m = encodeMarker({ snapshot: 'abc', offset: 200 });
    expect(m).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeMarker(m)).toEqual({ snapshot: 'abc', offset: 200 });
    expect(decodeMarker('not-a-marker')).toBeUndefined();
    expect(decodeMarker(Buffer.from(JSON.stringify({ s: 'x', o: -1 })).toString('base64url'))).toBeUndefined();
  });
});

describe('parseMaxItems', () => {
  it("defaults to 100 and refuses what IAM refuses, with IAM's messages", () => {
    expect(parseMaxItems(undefined)).toBe(100);
    expect(parseMaxItems('1000')).toBe(1000);
    expect(parseMaxItems('0')).toEqual({ error: "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1" });
    expect(parseMaxItems('1001')).toEqual({ error: "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000" });
    expect(parseMaxItems('ten')).toEqual({ error: "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be an integer" });
  });
});

describe('encodePolicyDocuments', () => {
  it('URL-encodes plain JSON trust policies as IAM does and leaves encoded ones alone', () => {
    const [role] = listMembers(motoAnswer, 'RoleDetailList') ?? [];
    const encoded = encodePolicyDocuments(role ?? '');
    const doc = xmlText(encoded, 'AssumeRolePolicyDocument') ?? '';
    expect(doc).toMatch(/^%7B%22Version%22/);
    expect(doc).toContain('sts%3A%2A');
    expect(JSON.parse(decodeURIComponent(doc))).toMatchObject({ Statement: [{ Action: 'sts:*' }] });
    expect(encodePolicyDocuments(encoded)).toBe(encoded);
  });

  it('unescapes XML before encoding', () => {
    expect(encodePolicyDocuments('<AssumeRolePolicyDocument>{"a":"&lt;&amp;"}</AssumeRolePolicyDocument>')).toBe(`<AssumeRolePolicyDocument>${rfc3986('{"a":"<&"}')}</AssumeRolePolicyDocument>`);
    expect(rfc3986("!'()*")).toBe('%21%27%28%29%2A');
  });
});

describe('inUsePolicies', () => {
  it('keeps customer managed policies and the AWS managed ones attached to something', () => {
    const policy = (arn: string, count: number) => `<member><Arn>${arn}</Arn><AttachmentCount>${count}</AttachmentCount><PolicyVersionList><member><Document>x</Document></member></PolicyVersionList></member>`;
    const admin = policy('arn:aws:iam::aws:policy/AdministratorAccess', 2);
    const unused = policy('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess', 0);
    const mine = policy('arn:aws:iam::111111111111:policy/mine', 0);
    expect(inUsePolicies([admin, unused, mine])).toEqual([admin, mine]);
  });
});
