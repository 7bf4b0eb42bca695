import { precheck } from '../../workflows/key-rotation/precheck';
import type { AccessKeyFacts } from '../../workflows/key-rotation/precheck';

const key = (accessKeyId: string, status: 'Active' | 'Inactive' = 'Active', extra: Partial<AccessKeyFacts> = {}): AccessKeyFacts => ({
  accessKeyId,
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('access-key rotation precheck', () => {
  it('proceeds with the stored key as the old key when it is the only key', () => {
    const old = key('AKIAOLD');
    expect(precheck([old], 'AKIAOLD')).toEqual({ action: 'proceed', old });
  });

  it('asks to delete a second, inactive key first', () => {
    expect(precheck([key('AKIAOLD'), key('AKIAIDLE', 'Inactive')], 'AKIAOLD')).toEqual({ action: 'delete-inactive-first', keyId: 'AKIAIDLE' });
    // order of IAM's listing does not matter
    expect(precheck([key('AKIAIDLE', 'Inactive'), key('AKIAOLD')], 'AKIAOLD')).toEqual({ action: 'delete-inactive-first', keyId: 'AKIAIDLE' });
  });

  it('stops on two active keys, naming both', () => {
    const d = precheck([key('AKIAOLD'), key('AKIAOTHER', 'Active', { lastUsedAt: '2026-02-01T00:00:00.000Z' })], 'AKIAOLD');
    expect(d).toMatchObject({ action: 'stop', finding: { code: 'TwoActiveKeys', accessKeyIds: ['AKIAOLD', 'AKIAOTHER'] } });
    expect(d.action === 'stop' && d.finding.message).toContain('2026-02-01');
  });

  it('stops when the user has no key', () => {
    expect(precheck([], undefined)).toMatchObject({ action: 'stop', finding: { code: 'NoAccessKey' } });
    expect(precheck([], 'AKIAOLD')).toMatchObject({ action: 'stop', finding: { code: 'NoAccessKey' } });
  });

  it('stops when the store holds nothing', () => {
    expect(precheck([key('AKIAOLD')], undefined)).toMatchObject({ action: 'stop', finding: { code: 'NothingStored', accessKeyIds: ['AKIAOLD'] } });
  });

  it('stops when the store holds a key the user does not have', () => {
    expect(precheck([key('AKIAOLD')], 'AKIAGONE')).toMatchObject({ action: 'stop', finding: { code: 'StoredKeyNotOnUser', accessKeyIds: ['AKIAGONE'] } });
  });

  it('stops when the stored key is inactive, even with a second key', () => {
    expect(precheck([key('AKIAOLD', 'Inactive')], 'AKIAOLD')).toMatchObject({ action: 'stop', finding: { code: 'StoredKeyInactive' } });
    expect(precheck([key('AKIAOLD', 'Inactive'), key('AKIAB', 'Inactive')], 'AKIAOLD')).toMatchObject({ action: 'stop', finding: { code: 'StoredKeyInactive' } });
  });
});
