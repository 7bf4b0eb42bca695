// The gateway's directory of moto identities without moto: what it takes from data.json, how it
// tracks key status and deletions that data.json does not show, and when it re-reads (data.json
// is ~6 MB, so reads must stay rare and shared).

import { MotoDirectory, parseMotoData } from '../../sandbox/moto-directory';

const ACCOUNT = '123456789012';
const user = (name: string) => ({ name, arn: `arn:aws:iam::${ACCOUNT}:user/${name}` });
const accessKey = (id: string, userName: string | null, status = 'Active') => ({ access_key_id: id, secret_access_key: `secret-${id}`, user_name: userName, status });

function motoData(extraKeys: ReturnType<typeof accessKey>[] = []) {
  return {
    iam: {
      User: [user('alice'), user('bob'), user('broker')],
      AccessKey: [
        accessKey('AKIAALICE00000000001', 'alice'),
        accessKey('AKIABOB0000000000001', 'bob', 'Inactive'),
        accessKey('AKIABROKER0000000001', 'broker'),
        // moto keeps STS credentials as user-less AccessKeys too.
        accessKey('ASIASESSION000000001', null),
        ...extraKeys,
      ],
      Role: [
        {
          name: 'BreakGlassAdmin',
          arn: `arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`,
          assume_role_policy_document: '{"Statement":[]}',
          max_session_duration: 3600,
          policies: { BreakGlassAdmin: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' },
        },
      ],
    },
    sts: {
      AssumedRole: [
        {
          access_key_id: 'ASIASESSION000000001',
          secret_access_key: 'session-secret',
          session_token: 'session-token',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/BreakGlassAdmin/g-1`,
        },
      ],
    },
  };
}

/** A loader that counts reads and can be held open to test concurrency. */
function fakeMoto(initial = motoData()) {
  let data: unknown = initial;
  let gate: Promise<void> | undefined;
  const state = {
    reads: 0,
    set(d: unknown) {
      data = d;
    },
    hold(): () => void {
      let release = (): void => undefined;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    load: async (): Promise<unknown> => {
      state.reads++;
      const snapshot = data;
      if (gate) await gate;
      return snapshot;
    },
  };
  return state;
}

describe('parseMotoData', () => {
  it('reads user keys with their status, assumed-role sessions and roles with inline policies', () => {
    const s = parseMotoData(motoData());
    expect(s.keys.get('AKIAALICE00000000001')).toMatchObject({ arn: user('alice').arn, status: 'Active', userName: 'alice', secretAccessKey: 'secret-AKIAALICE00000000001' });
    expect(s.keys.get('AKIABOB0000000000001')).toMatchObject({ status: 'Inactive' });
    expect(s.keys.get('ASIASESSION000000001')).toMatchObject({ sessionToken: 'session-token', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/BreakGlassAdmin/g-1` });
    expect(s.roles.get('BreakGlassAdmin')?.inlinePolicies).toEqual({ BreakGlassAdmin: expect.stringContaining('"Allow"') as string });
    expect(parseMotoData({})).toEqual({ keys: new Map(), roles: new Map() });
  });
});

describe('MotoDirectory', () => {
  it('reads moto once, then answers from its cache', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    expect(await dir.lookup('AKIAALICE00000000001')).toMatchObject({ state: 'active', key: { arn: user('alice').arn } });
    expect(await dir.lookup('AKIABROKER0000000001')).toMatchObject({ state: 'active' });
    expect(await dir.lookup('ASIASESSION000000001')).toMatchObject({ state: 'active', key: { sessionToken: 'session-token' } });
    expect(moto.reads).toBe(1);
  });

  it('shares one read among concurrent misses', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    const release = moto.hold();
    const pending = Promise.all(['AKIAALICE00000000001', 'AKIABROKER0000000001', 'AKIAUNKNOWN000000001'].map((id) => dir.lookup(id)));
    release();
    expect((await pending).map((l) => l.state)).toEqual(['active', 'active', 'unknown']);
    expect(moto.reads).toBe(1);
  });

  it('does not re-read for a key it already found missing until something changes', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    expect(await dir.lookup('AKIAUNKNOWN000000001')).toEqual({ state: 'unknown' });
    expect(await dir.lookup('AKIAUNKNOWN000000001')).toEqual({ state: 'unknown' });
    expect(moto.reads).toBe(1);
    // CreateAccessKey went through the gateway: a miss reads moto again, and finds the new key.
    moto.set(motoData([accessKey('AKIANEW0000000000001', 'alice')]));
    dir.keyCreated();
    expect(await dir.lookup('AKIANEW0000000000001')).toMatchObject({ state: 'active' });
    expect(moto.reads).toBe(2);
  });

  it('refuses Inactive keys, and follows status changes the gateway saw', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    expect(await dir.lookup('AKIABOB0000000000001')).toEqual({ state: 'inactive' });
    expect(await dir.key('AKIABOB0000000000001')).toBeUndefined();
    await expect(dir.resolve('AKIABOB0000000000001')).rejects.toMatchObject({ code: 'UnknownAccessKey' });
    dir.keyStatusChanged('AKIABOB0000000000001', 'Active');
    expect(await dir.lookup('AKIABOB0000000000001')).toMatchObject({ state: 'active' });
    dir.keyStatusChanged('AKIAALICE00000000001', 'Inactive');
    expect(await dir.lookup('AKIAALICE00000000001')).toEqual({ state: 'inactive' });
    expect(moto.reads).toBe(1);
  });

  it('keeps a status it saw over a read that began before the change', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    const release = moto.hold();
    const stale = dir.lookup('AKIAALICE00000000001'); // this read still says Active
    dir.keyStatusChanged('AKIAALICE00000000001', 'Inactive');
    release();
    await stale;
    expect(await dir.lookup('AKIAALICE00000000001')).toEqual({ state: 'inactive' });
  });

  it('remembers deleted keys, which data.json keeps listing', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    dir.keyDeleted('AKIAALICE00000000001');
    expect(await dir.lookup('AKIAALICE00000000001')).toEqual({ state: 'deleted' });
    dir.invalidate();
    expect(await dir.lookup('AKIAALICE00000000001')).toEqual({ state: 'deleted' });
    // A deleted user's keys die with it (moto deletes them silently).
    await dir.userDeleted('broker');
    expect(await dir.lookup('AKIABROKER0000000001')).toEqual({ state: 'deleted' });
  });

  it('learns STS credentials without reading moto', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    dir.learn({ accessKeyId: 'ASIALEARNED000000001', secretAccessKey: 's', sessionToken: 't', arn: 'arn:aws:sts::123456789012:assumed-role/R/s' });
    expect(await dir.lookup('ASIALEARNED000000001')).toMatchObject({ state: 'active' });
    expect(moto.reads).toBe(0);
  });

  it('reads a role fresh for its inline policies, and forgets deleted roles', async () => {
    const moto = fakeMoto();
    const dir = new MotoDirectory('http://moto.invalid', moto.load);
    expect(await dir.role('BreakGlassAdmin')).toBeDefined();
    expect(moto.reads).toBe(1);
    expect(Object.keys((await dir.freshRole('BreakGlassAdmin'))?.inlinePolicies ?? {})).toEqual(['BreakGlassAdmin']);
    expect(moto.reads).toBe(2);
    dir.roleDeleted('BreakGlassAdmin');
    expect(await dir.role('BreakGlassAdmin')).toBeUndefined();
    dir.roleCreated('BreakGlassAdmin');
    expect(await dir.role('BreakGlassAdmin')).toBeDefined();
  });
});
