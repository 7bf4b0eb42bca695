// IAM's 10,240-character quota on a role's inline policies, as the sandbox gateway counts it, and
// the per-role lock that keeps the check and the write together.

import { KeyedLock } from '../../sandbox/keyed-lock';
import {
  ROLE_INLINE_POLICY_QUOTA,
  inlinePolicyTotalAfter,
  plainPolicyDocument,
  policyQuotaSize,
  rolePolicyQuotaMessage,
} from '../../sandbox/role-policy-quota';

/** A policy whose document is exactly `size` characters once white space is removed. */
function policyOfSize(size: number): string {
  const skeleton = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: '', Effect: 'Deny', Action: '*', Resource: '*' }] });
  return skeleton.replace('"Sid":""', `"Sid":"${'x'.repeat(size - skeleton.length)}"`);
}

describe('policyQuotaSize', () => {
  it('counts characters without white space, inside strings too', () => {
    expect(policyQuotaSize('{"a":"b"}')).toBe(9);
    expect(policyQuotaSize('{\n  "a" : "b c"\t}\r\n')).toBe(10);
    expect(policyQuotaSize(JSON.stringify({ Statement: [] }, null, 4))).toBe(JSON.stringify({ Statement: [] }).length);
  });

  it('counts characters, not UTF-8 bytes', () => {
    expect(policyQuotaSize('{"a":"é"}')).toBe(9);
  });

  it('reads URL-encoded documents (as IAM returns them) as their JSON', () => {
    const doc = '{"Version":"2012-10-17","Statement":[]}';
    expect(plainPolicyDocument(encodeURIComponent(doc))).toBe(doc);
    expect(plainPolicyDocument(doc)).toBe(doc);
    expect(plainPolicyDocument('%E0%A4%A')).toBe('%E0%A4%A');
  });
});

describe('inlinePolicyTotalAfter', () => {
  it('sums every inline policy of the role, replacing the one of the same name', () => {
    const existing = { A: policyOfSize(4000), B: encodeURIComponent(policyOfSize(3000)) };
    expect(inlinePolicyTotalAfter(existing, { roleName: 'R', policyName: 'C', document: policyOfSize(3240) })).toBe(ROLE_INLINE_POLICY_QUOTA);
    expect(inlinePolicyTotalAfter(existing, { roleName: 'R', policyName: 'C', document: policyOfSize(3241) })).toBe(ROLE_INLINE_POLICY_QUOTA + 1);
    // Replacing A: A's old document no longer counts.
    expect(inlinePolicyTotalAfter(existing, { roleName: 'R', policyName: 'A', document: policyOfSize(7240) })).toBe(ROLE_INLINE_POLICY_QUOTA);
    expect(inlinePolicyTotalAfter({}, { roleName: 'R', policyName: 'A', document: policyOfSize(100) })).toBe(100);
  });

  it('says what AWS says', () => {
    expect(rolePolicyQuotaMessage('BreakGlassAdmin')).toBe('Maximum policy size of 10240 bytes exceeded for role BreakGlassAdmin');
  });
});

describe('KeyedLock', () => {
  it('runs tasks of one key one at a time, and other keys alongside', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    let releaseFirst = (): void => undefined;
    const first = lock.run('role-a', async () => {
      events.push('a1 start');
      await new Promise<void>((r) => (releaseFirst = r));
      events.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = lock.run('role-a', async () => {
      events.push('a2');
      return 2;
    });
    const other = lock.run('role-b', async () => {
      events.push('b1');
      return 'b';
    });
    expect(await other).toBe('b');
    expect(events).toEqual(['a1 start', 'b1']);
    releaseFirst();
    await expect(first).rejects.toThrow('a1 failed');
    // A failed task does not block the next one.
    expect(await second).toBe(2);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });
});
