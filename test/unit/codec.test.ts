// Payload codec and key ring (DESIGN.md §6.8): AES-256-GCM per payload, key ids for rotation,
// clear errors that never carry key material.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { CodecError, ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, dataConverterWithCodec, isRefusedPayloadValue } from '../../codec/payload-codec';
import { KeyRingError, createKeyRing, generateKeyFile, keyRingFromEnv, loadKeyFile, loadOrCreateKeyFile } from '../../codec/keyring';
import type { KeyRing } from '../../codec/keyring';
import { createCipheriv } from 'node:crypto';

const key = (): string => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const ring = (active: string, entries: Array<[string, string]>): KeyRing => createKeyRing(entries, active);
const str = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

const SECRET = 'database is on fire, need to restart it';
const payloads = (): Payload[] => [
  defaultPayloadConverter.toPayload({ reason: SECRET, n: 1 }),
  defaultPayloadConverter.toPayload('plain string'),
  defaultPayloadConverter.toPayload(undefined),
  defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
];

async function thrown(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(ring('k1', [['k1', K1]]));

  test('round-trips several payloads, metadata included', async () => {
    const input = payloads();
    const encoded = await codec.encode(input);
    expect(encoded).toHaveLength(input.length);
    const decoded = await codec.decode(encoded);
    expect(decoded).toHaveLength(input.length);
    decoded.forEach((p, i) => {
      expect(Buffer.from(p.data ?? [])).toEqual(Buffer.from(input[i]?.data ?? []));
      expect(Object.keys(p.metadata ?? {}).sort()).toEqual(Object.keys(input[i]?.metadata ?? {}).sort());
      expect(str(p.metadata?.encoding)).toBe(str(input[i]?.metadata?.encoding));
    });
    expect(defaultPayloadConverter.fromPayload(decoded[0] as Payload)).toEqual({ reason: SECRET, n: 1 });
    expect(defaultPayloadConverter.fromPayload(decoded[2] as Payload)).toBeUndefined();
  });

  test('an empty list stays empty', async () => {
    expect(await codec.encode([])).toEqual([]);
    expect(await codec.decode([])).toEqual([]);
  });

  test('the ciphertext hides the plaintext and names its key', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ reason: SECRET })]);
    expect(enc).toBeDefined();
    expect(str(enc?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(enc?.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(enc?.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    const data = Buffer.from(enc?.data ?? []);
    expect(data.includes(Buffer.from(SECRET))).toBe(false);
    expect(data.includes(Buffer.from('json/plain'))).toBe(false);
    // iv(12) + ciphertext + tag(16)
    expect(data.length).toBeGreaterThan(28);
  });

  test('the same payload encrypts differently each time (random IV)', async () => {
    const p = defaultPayloadConverter.toPayload('same');
    const [a] = await codec.encode([p]);
    const [b] = await codec.encode([p]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  test('after rotation, old payloads decode with the retired key and new ones use the new key', async () => {
    const old = await codec.encode(payloads());
    const rotated = new EncryptionCodec(ring('k2', [['k1', K1], ['k2', K2]]));
    const fresh = await rotated.encode(payloads());
    expect(str(fresh[0]?.metadata?.[KEY_ID_METADATA])).toBe('k2');
    const decodedOld = await rotated.decode(old);
    expect(defaultPayloadConverter.fromPayload(decodedOld[0] as Payload)).toEqual({ reason: SECRET, n: 1 });
    const decodedMixed = await rotated.decode([fresh[1] as Payload, old[1] as Payload]);
    expect(decodedMixed.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['plain string', 'plain string']);
  });

  test('an unknown key id is a clear error naming the id', async () => {
    const encoded = await new EncryptionCodec(ring('k2', [['k2', K2]])).encode(payloads());
    const err = await thrown(codec.decode(encoded));
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('CODEC_UNKNOWN_KEY_ID');
    expect((err as Error).message).toContain('"k2"');
  });

  test('a flipped byte anywhere in the ciphertext, IV or tag is refused', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ reason: SECRET })]);
    const data = Buffer.from(enc?.data ?? []);
    for (const at of [0, 12, data.length - 20, data.length - 1]) {
      const bad = Buffer.from(data);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      const err = await thrown(codec.decode([{ metadata: enc?.metadata, data: new Uint8Array(bad) }]));
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('CODEC_DECRYPT_FAILED');
    }
    const short = await thrown(codec.decode([{ metadata: enc?.metadata, data: new Uint8Array(10) }]));
    expect((short as CodecError).code).toBe('CODEC_MALFORMED_PAYLOAD');
  });

  test('a payload under the right id but a different key fails authentication', async () => {
    const [enc] = await new EncryptionCodec(ring('k1', [['k1', K2]])).encode([defaultPayloadConverter.toPayload('x')]);
    const err = await thrown(codec.decode([enc as Payload]));
    expect((err as CodecError).code).toBe('CODEC_DECRYPT_FAILED');
    expect((err as Error).message).not.toContain(K1);
    expect((err as Error).message).not.toContain(K2);
  });

  test('an encrypted payload without a key id is refused', async () => {
    const err = await thrown(codec.decode([{ metadata: { encoding: new Uint8Array(Buffer.from(ENCRYPTED_ENCODING)) }, data: new Uint8Array(40) }]));
    expect((err as CodecError).code).toBe('CODEC_MISSING_KEY_ID');
  });

  test('unencrypted payloads are refused: each decodes to a marker that input checks reject, never to the plaintext', async () => {
    // What `temporal workflow start --input '{"approver":"bob"}'` sends: json/plain, no codec.
    const forged = defaultPayloadConverter.toPayload({ approver: 'bob', round: 'grant' });
    const decoded = await codec.decode([forged, ...payloads()]);
    const values = decoded.map((p) => defaultPayloadConverter.fromPayload(p));
    expect(values[0]).toEqual({ __refused: 'unencrypted json/plain payload refused by the codec' });
    expect(isRefusedPayloadValue(values[0])).toBe(true);
    // Every non-null plaintext payload is refused; an absent value (binary/null) carries nothing to forge.
    for (const [i, p] of payloads().entries()) {
      const enc = str(p.metadata?.encoding);
      if (enc === 'binary/null') expect(values[i + 1]).toBeUndefined();
      else expect(isRefusedPayloadValue(values[i + 1])).toBe(true);
    }
    expect(JSON.stringify(values)).not.toContain(SECRET);
  });

  test('dataConverterWithCodec gives one EncryptionCodec', () => {
    const dc = dataConverterWithCodec(ring('k1', [['k1', K1]]));
    expect(dc.payloadCodecs).toHaveLength(1);
    expect(dc.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
  });
});

describe('keyRingFromEnv', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(KeyRingError);
      return (err as KeyRingError).code;
    }
    return undefined;
  };
  const noKeyIn = (fn: () => unknown, ...keys: string[]): void => {
    try {
      fn();
    } catch (err) {
      for (const k of keys) expect((err as Error).message).not.toContain(k);
    }
  };

  test('reads comma-separated id:base64 entries, first one active by default', () => {
    const r = keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: ` k1:${K1} , k2:${K2} ` });
    expect(r.activeKeyId).toBe('k1');
    expect([...r.keys.keys()]).toEqual(['k1', 'k2']);
    expect(r.keys.get('k2')).toEqual(Buffer.from(K2, 'base64'));
  });

  test('SAFEGUARD_CODEC_ACTIVE_KEY picks the active key', () => {
    expect(keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1},k2:${K2}`, SAFEGUARD_CODEC_ACTIVE_KEY: 'k2' }).activeKeyId).toBe('k2');
  });

  test('named errors, without key material in the message', () => {
    const short = randomBytes(16).toString('base64');
    expect(code(() => keyRingFromEnv({}))).toBe('CODEC_KEY_MISSING');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: '  ' }))).toBe('CODEC_KEY_MISSING');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: 'k1:' }))).toBe('CODEC_KEY_MISSING');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${short}` }))).toBe('CODEC_KEY_WRONG_LENGTH');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1}`, SAFEGUARD_CODEC_ACTIVE_KEY: 'k9' }))).toBe('CODEC_KEY_UNKNOWN_ACTIVE_ID');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: K1 }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1},,k2:${K2}` }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1},k1:${K2}` }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: 'k1:not base64!!' }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `bad id:${K1}` }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    expect(code(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1}`, SAFEGUARD_CODEC_KEY_FILE: '/x' }))).toBe('CODEC_KEY_MALFORMED_ENTRY');
    noKeyIn(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${short}` }), short);
    noKeyIn(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: K1 }), K1);
    noKeyIn(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEYS: `k1:${K1}`, SAFEGUARD_CODEC_ACTIVE_KEY: 'k9' }), K1);
  });
});

describe('key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-codec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, body: unknown, mode = 0o600): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body), { mode });
    fs.chmodSync(file, mode);
    return file;
  };

  test('generateKeyFile writes a 0600 file with one random 32-byte key that loads back', () => {
    const file = path.join(dir, 'nested', 'codec-keys.json');
    const generated = generateKeyFile(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { active: string; keys: Record<string, string> };
    expect(json.active).toBe('k1');
    expect(Buffer.from(json.keys.k1 ?? '', 'base64')).toHaveLength(32);
    const loaded = loadKeyFile(file);
    expect(loaded.activeKeyId).toBe('k1');
    expect(loaded.keys.get('k1')).toEqual(generated.keys.get('k1'));
    // Two generated files never share a key, and an existing file is never overwritten.
    expect(generateKeyFile(path.join(dir, 'other.json')).keys.get('k1')).not.toEqual(generated.keys.get('k1'));
    expect(() => generateKeyFile(file)).toThrow(expect.objectContaining({ code: 'CODEC_KEY_FILE_EXISTS' }));
  });

  test('loadOrCreateKeyFile creates on first start and reuses afterwards', () => {
    const file = path.join(dir, '.data', 'codec-keys.json');
    const first = loadOrCreateKeyFile(file);
    const second = loadOrCreateKeyFile(file);
    expect(second.keys.get('k1')).toEqual(first.keys.get('k1'));
  });

  test('SAFEGUARD_CODEC_KEY_FILE loads the file; the active id can be overridden', () => {
    const file = write('keys.json', { active: 'k2', keys: { k1: K1, k2: K2 } });
    const r = keyRingFromEnv({ SAFEGUARD_CODEC_KEY_FILE: file });
    expect(r.activeKeyId).toBe('k2');
    expect(r.keys.get('k1')).toEqual(Buffer.from(K1, 'base64'));
    expect(keyRingFromEnv({ SAFEGUARD_CODEC_KEY_FILE: file, SAFEGUARD_CODEC_ACTIVE_KEY: 'k1' }).activeKeyId).toBe('k1');
    expect(() => keyRingFromEnv({ SAFEGUARD_CODEC_KEY_FILE: file, SAFEGUARD_CODEC_ACTIVE_KEY: 'k3' })).toThrow(expect.objectContaining({ code: 'CODEC_KEY_UNKNOWN_ACTIVE_ID' }));
  });

  test.each(['644', '640', '604', '660'])('a key file with mode %s is refused', (octal) => {
    const file = write('keys.json', { active: 'k1', keys: { k1: K1 } }, parseInt(octal, 8));
    let err: unknown;
    try {
      loadKeyFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as KeyRingError).code).toBe('CODEC_KEY_FILE_PERMISSIONS');
    expect((err as Error).message).toContain('chmod 600');
    expect((err as Error).message).not.toContain(K1);
  });

  test('bad key files get named errors without key material', () => {
    const short = randomBytes(31).toString('base64');
    const cases: Array<[unknown, string]> = [
      [`{ "keys": { "k1": "${K1}" `, 'CODEC_KEY_MALFORMED_ENTRY'],
      [{ active: 'k1' }, 'CODEC_KEY_MISSING'],
      [{ active: 'k1', keys: {} }, 'CODEC_KEY_MISSING'],
      [{ active: 'k1', keys: { k1: short } }, 'CODEC_KEY_WRONG_LENGTH'],
      [{ active: 'k9', keys: { k1: K1 } }, 'CODEC_KEY_UNKNOWN_ACTIVE_ID'],
      [{ active: 'k1', keys: { k1: 42 } }, 'CODEC_KEY_MALFORMED_ENTRY'],
      [[K1], 'CODEC_KEY_MALFORMED_ENTRY'],
    ];
    for (const [body, expected] of cases) {
      const file = write(`k-${Math.random()}.json`, body);
      let err: unknown;
      try {
        loadKeyFile(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KeyRingError);
      expect({ body, code: (err as KeyRingError).code }).toEqual({ body, code: expected });
      expect((err as Error).message).not.toContain(K1);
      expect((err as Error).message).not.toContain(short);
    }
    expect(() => loadKeyFile(path.join(dir, 'absent.json'))).toThrow(expect.objectContaining({ code: 'CODEC_KEY_MISSING' }));
  });
});

describe('EncryptionCodec: refusals and edges', () => {
  const k1 = (): Buffer => Buffer.from(K1, 'base64');
  const markerOf = (p: Payload | undefined): unknown => defaultPayloadConverter.fromPayload(p as Payload);

  test('refuses a key ring whose active key is not in it', async () => {
    const err = await thrown(() => new EncryptionCodec({ activeKeyId: 'k9', keys: new Map([['k1', k1()]]) }));
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('CODEC_UNKNOWN_KEY_ID');
    expect((err as Error).name).toBe('CodecError');
    expect((err as Error).message).toContain('"k9"');
    expect((err as Error).message).not.toContain(K1);
  });

  test('refuses to encrypt once the active key has left the ring, never encrypting without it', async () => {
    const keyring: KeyRing = { activeKeyId: 'k1', keys: new Map([['k1', k1()]]) };
    const c = new EncryptionCodec(keyring);
    keyring.keys.delete('k1');
    const err = await thrown(c.encode([defaultPayloadConverter.toPayload('x')]));
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('CODEC_UNKNOWN_KEY_ID');
  });

  test('an empty payload round-trips: the shortest ciphertext (IV and tag only) is not refused as too short', async () => {
    const c = new EncryptionCodec(ring('k1', [['k1', K1]]));
    const [enc] = await c.encode([{}]);
    expect(Buffer.from(enc?.data ?? []).length).toBe(12 + 16);
    const [dec] = await c.decode([enc as Payload]);
    expect(dec?.metadata).toEqual({});
    expect(Buffer.from(dec?.data ?? []).length).toBe(0);
    // One byte shorter is malformed.
    const short = await thrown(c.decode([{ metadata: enc?.metadata, data: new Uint8Array(27) }]));
    expect((short as CodecError).code).toBe('CODEC_MALFORMED_PAYLOAD');
  });

  test('an authentic ciphertext that does not hold a protobuf Payload is malformed, not decoded', async () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', k1(), iv, { authTagLength: 16 });
    // Field 1 (metadata) says 5 bytes follow; none do.
    const ciphertext = Buffer.concat([cipher.update(Buffer.from([0x0a, 0x05])), cipher.final()]);
    const payload: Payload = {
      metadata: { encoding: new Uint8Array(Buffer.from(ENCRYPTED_ENCODING)), [KEY_ID_METADATA]: new Uint8Array(Buffer.from('k1')) },
      data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
    const err = await thrown(new EncryptionCodec(ring('k1', [['k1', K1]])).decode([payload]));
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('CODEC_MALFORMED_PAYLOAD');
  });

  test('an unencrypted payload without metadata is refused too, not decoded and not a crash', async () => {
    const c = new EncryptionCodec(ring('k1', [['k1', K1]]));
    const [dec] = await c.decode([{ data: new Uint8Array(Buffer.from('{"approver":"bob"}')) }]);
    expect(markerOf(dec)).toEqual({ __refused: 'unencrypted (none) payload refused by the codec' });
  });

  test('the refusal marker quotes at most 40 characters of a forged encoding', async () => {
    const c = new EncryptionCodec(ring('k1', [['k1', K1]]));
    const [dec] = await c.decode([{ metadata: { encoding: new Uint8Array(Buffer.from(`json/${'x'.repeat(200)}`)) }, data: new Uint8Array(Buffer.from('{}')) }]);
    expect(markerOf(dec)).toEqual({ __refused: `unencrypted json/${'x'.repeat(35)} payload refused by the codec` });
  });

  test('isRefusedPayloadValue is true only for the marker', () => {
    expect(isRefusedPayloadValue({ __refused: 'unencrypted json/plain payload refused by the codec' })).toBe(true);
    for (const v of [null, undefined, 'a string', '__refused', 42, [], ['__refused'], { approver: 'bob' }, { refused: true }]) expect(isRefusedPayloadValue(v)).toBe(false);
  });
});
