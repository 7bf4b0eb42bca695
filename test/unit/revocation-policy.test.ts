// The one inline deny policy per break-glass role (DESIGN.md §4 step 2, §6.4): one statement per
// person with their latest cut-off, pruned once no token it targets can be valid, read back from IAM
// to verify a revocation. Pure: no Temporal server, no AWS.
import {
  MAX_ROLE_INLINE_POLICY_CHARS,
  ROLE_REVOCATION_POLICY,
  addRevocationCutoffSignal,
  revocationWriterStateQuery,
  REMOVAL_MARGIN_MS,
  coversCutoff,
  entriesFromStatements,
  isCutoffRequest,
  mergeCutoff,
  parseRevocationStatements,
  policyDocument,
  policySize,
  pruneExpired,
  revocationWriterId,
} from '../../workflows/break-glass/revocation-policy';
import type { CutoffRequest, RevocationEntry } from '../../workflows/break-glass/revocation-policy';

const HOUR = 3600_000;
const T1 = '2026-03-01T12:00:00.000Z';
const T2 = '2026-03-01T13:00:00.000Z';
const plus = (t: string, ms: number): string => new Date(Date.parse(t) + ms).toISOString();
const cut = (person: string, tokensIssuedBefore: string, grantId: string): CutoffRequest => ({ person, tokensIssuedBefore, grantId });

describe('names that outlive a deploy', () => {
  test('the inline policy a fresh writer adopts from IAM, and the writer\'s signal and query, keep their names', () => {
    // Renaming the policy would orphan the deny statements already on every role; renaming the
    // signal or query would break writers already running.
    expect(ROLE_REVOCATION_POLICY).toBe('SafeguardRevocations');
    expect(addRevocationCutoffSignal.name).toBe('addRevocationCutoff');
    expect(revocationWriterStateQuery.name).toBe('revocationWriterState');
  });
});

describe('revocationWriterId', () => {
  test('names the account and the role (without its path): one writer per role', () => {
    expect(revocationWriterId('123456789012', 'arn:aws:iam::123456789012:role/BreakGlassAdmin')).toBe('revocation-policy-123456789012-BreakGlassAdmin');
    expect(revocationWriterId('123456789012', 'arn:aws:iam::123456789012:role/team/ops/BreakGlassAdmin')).toBe('revocation-policy-123456789012-BreakGlassAdmin');
  });
});

describe('isCutoffRequest (signal argument check)', () => {
  test('accepts a well-formed cut-off request', () => {
    expect(isCutoffRequest(cut('alice', T1, 'breakglass-BreakGlassAdmin-0123456789'))).toBe(true);
    expect(isCutoffRequest(cut('al', '2026-03-01T12:00:00Z', 'g'))).toBe(true);
    expect(isCutoffRequest(cut('alice', T1, 'g'.repeat(128)))).toBe(true);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['a string', 'alice'],
    ['a number', 42],
    ['no person', { tokensIssuedBefore: T1, grantId: 'g' }],
    ['a person that is not a person id', cut('Alice', T1, 'g')],
    ['a person with a prefix', { ...cut('alice', T1, 'g'), person: ' alice' }],
    ['a person with a suffix', { ...cut('alice', T1, 'g'), person: 'alice!' }],
    ['a one-letter person', cut('a', T1, 'g')],
    ['a person that is not a string', { ...cut('alice', T1, 'g'), person: ['alice'] }],
    ['no cut-off', { person: 'alice', grantId: 'g' }],
    ['a cut-off that is not a string', { ...cut('alice', T1, 'g'), tokensIssuedBefore: Date.parse(T1) }],
    ['a cut-off given as a list', { ...cut('alice', T1, 'g'), tokensIssuedBefore: [T1] }],
    ['a cut-off that is not ISO UTC', cut('alice', '2026-03-01 12:00:00', 'g')],
    ['a cut-off with a prefix', cut('alice', `x${T1}`, 'g')],
    ['a cut-off with a suffix', cut('alice', `${T1}x`, 'g')],
    ['a cut-off with an offset', cut('alice', '2026-03-01T12:00:00+01:00', 'g')],
    ['no grant id', { person: 'alice', tokensIssuedBefore: T1 }],
    ['a grant id that is not a string', { ...cut('alice', T1, 'g'), grantId: 7 }],
    ['a grant id over 128 characters', cut('alice', T1, 'g'.repeat(129))],
  ])('drops %s', (_name, v) => {
    expect(isCutoffRequest(v)).toBe(false);
  });
});

describe('mergeCutoff: at most one statement per person, with the latest cut-off', () => {
  test('adds a statement for a new person, removable once its tokens have expired', () => {
    const entries = mergeCutoff([], cut('alice', T1, 'g1'), HOUR);
    expect(entries).toEqual([{ person: 'alice', tokensIssuedBefore: T1, removeAfter: plus(T1, HOUR + REMOVAL_MARGIN_MS), grantIds: ['g1'] }]);
    expect(REMOVAL_MARGIN_MS).toBe(60_000);
  });

  test('a later cut-off replaces the earlier one; an earlier one never shortens it', () => {
    const first = mergeCutoff([], cut('alice', T1, 'g1'), HOUR);
    const later = mergeCutoff(first, cut('alice', T2, 'g2'), HOUR);
    expect(later).toEqual([{ person: 'alice', tokensIssuedBefore: T2, removeAfter: plus(T2, HOUR + REMOVAL_MARGIN_MS), grantIds: ['g1', 'g2'] }]);
    const earlier = mergeCutoff(later, cut('alice', T1, 'g3'), HOUR);
    expect(earlier).toEqual([{ person: 'alice', tokensIssuedBefore: T2, removeAfter: plus(T2, HOUR + REMOVAL_MARGIN_MS), grantIds: ['g1', 'g2', 'g3'] }]);
  });

  test("a repeat of a grant's cut-off (a retried revocation) changes nothing: the same array, so no rewrite", () => {
    const entries = mergeCutoff([], cut('alice', T2, 'g1'), HOUR);
    expect(mergeCutoff(entries, cut('alice', T2, 'g1'), HOUR)).toBe(entries);
    expect(mergeCutoff(entries, cut('alice', T1, 'g1'), HOUR)).toBe(entries);
    // Same cut-off from another grant: recorded (a new array), cut-off unchanged, even as written.
    const other = mergeCutoff(entries, cut('alice', '2026-03-01T13:00:00Z', 'g2'), HOUR);
    expect(other).not.toBe(entries);
    expect(other[0]?.grantIds).toEqual(['g1', 'g2']);
    expect(other[0]?.tokensIssuedBefore).toBe(T2);
    // A later cut-off from the same grant (its revocation retried after a new vending) is written.
    const moved = mergeCutoff(entries, cut('alice', plus(T2, 1), 'g1'), HOUR);
    expect(moved).not.toBe(entries);
    expect(moved[0]?.tokensIssuedBefore).toBe(plus(T2, 1));
    expect(moved[0]?.grantIds).toEqual(['g1']);
  });

  test('keeps the latest five grant ids, each once, most recent last', () => {
    let entries: RevocationEntry[] = [];
    for (const g of ['g1', 'g2', 'g3', 'g4', 'g5', 'g6']) entries = mergeCutoff(entries, cut('alice', T1, g), HOUR);
    expect(entries[0]?.grantIds).toEqual(['g2', 'g3', 'g4', 'g5', 'g6']);
    entries = mergeCutoff(entries, cut('alice', T2, 'g3'), HOUR);
    expect(entries[0]?.grantIds).toEqual(['g2', 'g4', 'g5', 'g6', 'g3']);
  });

  test("leaves other people's statements alone and keeps the list sorted by person", () => {
    let entries = mergeCutoff([], cut('dave', T1, 'g1'), HOUR);
    entries = mergeCutoff(entries, cut('alice', T1, 'g2'), HOUR);
    entries = mergeCutoff(entries, cut('carol', T2, 'g3'), HOUR);
    expect(entries.map((e) => e.person)).toEqual(['alice', 'carol', 'dave']);
    const updated = mergeCutoff(entries, cut('carol', plus(T2, HOUR), 'g4'), HOUR);
    expect(updated.map((e) => [e.person, e.tokensIssuedBefore])).toEqual([
      ['alice', T1],
      ['carol', plus(T2, HOUR)],
      ['dave', T1],
    ]);
    expect(updated[0]).toBe(entries[0]);
    expect(updated[2]).toBe(entries[2]);
  });

  test("the removal time follows the role's maximum session", () => {
    const [e] = mergeCutoff([], cut('alice', T1, 'g1'), 12 * HOUR);
    expect(e?.removeAfter).toBe(plus(T1, 12 * HOUR + REMOVAL_MARGIN_MS));
  });
});

describe('pruneExpired', () => {
  test('drops statements whose removal time has come, keeps the rest', () => {
    const entries = mergeCutoff(mergeCutoff([], cut('alice', T1, 'g1'), HOUR), cut('bob', T2, 'g2'), HOUR);
    const aliceRemoval = Date.parse(T1) + HOUR + REMOVAL_MARGIN_MS;
    expect(pruneExpired(entries, aliceRemoval - 1).map((e) => e.person)).toEqual(['alice', 'bob']);
    expect(pruneExpired(entries, aliceRemoval).map((e) => e.person)).toEqual(['bob']);
    expect(pruneExpired(entries, Date.parse(T2) + 2 * HOUR)).toEqual([]);
  });
});

describe('policyDocument and policySize', () => {
  test('one Deny statement per person on SourceIdentity and TokenIssueTime', () => {
    const entries = mergeCutoff(mergeCutoff([], cut('alice', T1, 'g1'), HOUR), cut('bob', T2, 'g2'), HOUR);
    const doc = policyDocument(entries);
    expect(JSON.parse(doc)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': 'alice' }, DateLessThan: { 'aws:TokenIssueTime': T1 } } },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': 'bob' }, DateLessThan: { 'aws:TokenIssueTime': T2 } } },
      ],
    });
    expect(JSON.parse(policyDocument([]))).toEqual({ Version: '2012-10-17', Statement: [] });
  });

  test('counts characters as AWS does, without whitespace', () => {
    expect(policySize('{ "a" :\n\t"b c" }')).toBe(10);
    expect(policySize('{"a":"b"}')).toBe(9);
    const doc = policyDocument(mergeCutoff([], cut('alice', T1, 'g1'), HOUR));
    expect(policySize(doc)).toBe(doc.length);
    expect(policySize(JSON.stringify(JSON.parse(doc), null, 2))).toBe(doc.length);
  });

  test('a statement per person keeps well under the role quota for dozens of people', () => {
    let entries: RevocationEntry[] = [];
    for (let i = 0; i < 40; i++) entries = mergeCutoff(entries, cut(`person${String(i).padStart(2, '0')}`, T1, `g${i}`), HOUR);
    expect(policySize(policyDocument(entries))).toBeLessThan(MAX_ROLE_INLINE_POLICY_CHARS);
  });
});

describe('parseRevocationStatements (reading back what IAM holds)', () => {
  const doc = policyDocument(mergeCutoff(mergeCutoff([], cut('alice', T1, 'g1'), HOUR), cut('bob', T2, 'g2'), HOUR));
  const both = [
    { person: 'alice', tokensIssuedBefore: T1 },
    { person: 'bob', tokensIssuedBefore: T2 },
  ];

  test('reads the deny statements Safeguard wrote, plain or URL-encoded as IAM returns them', () => {
    expect(parseRevocationStatements(doc)).toEqual(both);
    expect(parseRevocationStatements(`  ${doc}\n`)).toEqual(both);
    expect(parseRevocationStatements(encodeURIComponent(doc))).toEqual(both);
  });

  test('reads a single statement given as an object', () => {
    const single = JSON.stringify({ Version: '2012-10-17', Statement: JSON.parse(doc).Statement[0] });
    expect(parseRevocationStatements(single)).toEqual([both[0]]);
  });

  test('ignores statements Safeguard did not write instead of misreading them', () => {
    const mixed = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': 'mallory' }, DateLessThan: { 'aws:TokenIssueTime': T2 } } },
        { Effect: 'Deny', Action: 's3:*', Resource: '*' },
        { Effect: 'Deny', Condition: { StringEquals: { 'aws:SourceIdentity': 'erin' } } },
        { Effect: 'Deny', Condition: { DateLessThan: { 'aws:TokenIssueTime': T2 } } },
        { Effect: 'Deny', Condition: { StringEquals: { 'aws:SourceIdentity': ['erin'] }, DateLessThan: { 'aws:TokenIssueTime': T2 } } },
        { Effect: 'Deny', Condition: { StringEquals: { 'aws:SourceIdentity': 'erin' }, DateLessThan: { 'aws:TokenIssueTime': 12345 } } },
        { Effect: 'Deny', Condition: { StringEquals: { 'aws:SourceIdentity': 'erin' }, DateLessThan: { 'aws:TokenIssueTime': 'not a date' } } },
        null,
        'Deny',
        ...JSON.parse(doc).Statement,
      ],
    });
    expect(parseRevocationStatements(mixed)).toEqual(both);
  });

  test("a plain document is read as it is, even when another statement holds a literal '%'", () => {
    const statements = [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/100%' },
      ...JSON.parse(doc).Statement,
    ];
    const withPercent = JSON.stringify({ Version: '2012-10-17', Statement: statements });
    expect(parseRevocationStatements(withPercent)).toEqual(both);
    expect(parseRevocationStatements(encodeURIComponent(withPercent))).toEqual(both);
  });

  test('an unreadable or empty document has no statements', () => {
    expect(parseRevocationStatements('')).toEqual([]);
    expect(parseRevocationStatements('{not json')).toEqual([]);
    expect(parseRevocationStatements(encodeURIComponent('{not json'))).toEqual([]);
    expect(parseRevocationStatements('{"Version":"2012-10-17"}')).toEqual([]);
    expect(parseRevocationStatements('{"Statement":null}')).toEqual([]);
    // Broken percent-encoding is not a document IAM returned: no statements, not a crash.
    expect(parseRevocationStatements('%7B%E0%A4%A')).toEqual([]);
  });
});

describe('coversCutoff (the revocation receipt: statement present)', () => {
  const statements = [
    { person: 'alice', tokensIssuedBefore: T2 },
    { person: 'bob', tokensIssuedBefore: T1 },
  ];

  test("is true when the person's statement denies tokens up to the cut-off or later", () => {
    expect(coversCutoff(statements, 'alice', T2)).toBe(true);
    expect(coversCutoff(statements, 'alice', T1)).toBe(true);
    // Written in another (equal) form of the same instant.
    expect(coversCutoff(statements, 'alice', '2026-03-01T13:00:00Z')).toBe(true);
  });

  test('is false when the statement stops before the cut-off, or is for someone else', () => {
    expect(coversCutoff(statements, 'bob', T2)).toBe(false);
    expect(coversCutoff(statements, 'bob', plus(T1, 1))).toBe(false);
    expect(coversCutoff(statements, 'carol', T1)).toBe(false);
    expect(coversCutoff([], 'alice', T1)).toBe(false);
  });
});

describe('entriesFromStatements (a fresh writer adopts what IAM holds)', () => {
  test('one entry per person with the latest cut-off, marked as adopted', () => {
    const entries = entriesFromStatements(
      [
        { person: 'bob', tokensIssuedBefore: T1 },
        { person: 'alice', tokensIssuedBefore: T1 },
        { person: 'bob', tokensIssuedBefore: T2 },
      ],
      HOUR,
    );
    expect(entries).toEqual([
      { person: 'alice', tokensIssuedBefore: T1, removeAfter: plus(T1, HOUR + REMOVAL_MARGIN_MS), grantIds: ['adopted'] },
      { person: 'bob', tokensIssuedBefore: T2, removeAfter: plus(T2, HOUR + REMOVAL_MARGIN_MS), grantIds: ['adopted'] },
    ]);
    expect(entriesFromStatements([], HOUR)).toEqual([]);
  });
});
