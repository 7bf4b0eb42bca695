// Production connection settings from the environment: TLS shapes, the ops port, the one list of
// variables, and search attributes ensured at worker start (against a fake operator service: a
// pure unit test of the decisions; the dev server runs the real call in every integration test).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ENV_READ_ELSEWHERE, envSchema, knownEnvVariables, parseEnv } from '../../config/env';
import { connectionOptions, temporalTarget } from '../../config/temporal';
import { ensureSearchAttributes, SAFEGUARD_SEARCH_ATTRIBUTE_NAMES, SearchAttributeError } from '../../worker/search-attributes';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const PEM = (label: string): string => `-----BEGIN ${label}-----\nMIIBfake\n-----END ${label}-----\n`;

describe('Temporal TLS from the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-tls-'));
    fs.writeFileSync(path.join(dir, 'client.pem'), PEM('CERTIFICATE'));
    fs.writeFileSync(path.join(dir, 'client.key'), PEM('PRIVATE KEY'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), PEM('CERTIFICATE'));
    fs.writeFileSync(path.join(dir, 'not-pem.txt'), 'hello');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is plaintext by default (the dev server)', () => {
    expect(connectionOptions(temporalTarget(parseEnv({})))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('sends the API key over TLS (Temporal Cloud)', () => {
    expect(connectionOptions(temporalTarget(parseEnv({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' })))).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: 'key',
    });
  });

  it('reads the client certificate pair, the CA and the server name for mTLS', () => {
    const opts = connectionOptions(
      temporalTarget(
        parseEnv({
          TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem'),
          TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key'),
          TEMPORAL_TLS_CA_FILE: path.join(dir, 'ca.pem'),
          TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
        }),
      ),
    );
    expect(opts.tls).toEqual({
      clientCertPair: { crt: Buffer.from(PEM('CERTIFICATE')), key: Buffer.from(PEM('PRIVATE KEY')) },
      serverRootCACertificate: Buffer.from(PEM('CERTIFICATE')),
      serverNameOverride: 'temporal.internal',
    });
  });

  it('turns TLS on with only a private CA (server-side TLS)', () => {
    const opts = connectionOptions(temporalTarget(parseEnv({ TEMPORAL_TLS_CA_FILE: path.join(dir, 'ca.pem') })));
    expect(opts.tls).toEqual({ serverRootCACertificate: Buffer.from(PEM('CERTIFICATE')) });
  });

  it('refuses half a certificate pair, naming the missing variable', () => {
    expect(() => temporalTarget(parseEnv({ TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem') }))).toThrow(ConfigError);
    expect(() => temporalTarget(parseEnv({ TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem') }))).toThrow(/TEMPORAL_TLS_KEY_FILE: mTLS needs both/);
    expect(() => temporalTarget(parseEnv({ TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key') }))).toThrow(/TEMPORAL_TLS_CERT_FILE: mTLS needs both/);
  });

  it('names the variable and the file when a file is missing or not PEM', () => {
    const missing = temporalTarget(parseEnv({ TEMPORAL_TLS_CA_FILE: path.join(dir, 'nope.pem') }));
    expect(() => connectionOptions(missing)).toThrow(/TEMPORAL_TLS_CA_FILE=.*nope\.pem: ENOENT/);
    const notPem = temporalTarget(parseEnv({ TEMPORAL_TLS_CERT_FILE: path.join(dir, 'not-pem.txt'), TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key') }));
    expect(() => connectionOptions(notPem)).toThrow(/TEMPORAL_TLS_CERT_FILE=.*not-pem\.txt: not a PEM file/);
  });

  it('parses the operations port: off by default, a port, or refused', () => {
    expect(parseEnv({}).SAFEGUARD_OPS_PORT).toBe('off');
    expect(parseEnv({ SAFEGUARD_OPS_PORT: '9464' }).SAFEGUARD_OPS_PORT).toBe(9464);
    expect(parseEnv({ SAFEGUARD_OPS_PORT: '0' }).SAFEGUARD_OPS_PORT).toBe(0);
    expect(() => parseEnv({ SAFEGUARD_OPS_PORT: '70000' })).toThrow(/SAFEGUARD_OPS_PORT/);
    expect(() => parseEnv({ SAFEGUARD_OPS_PORT: 'on' })).toThrow(/SAFEGUARD_OPS_PORT: must be a port number or off/);
    expect(() => parseEnv({ TEMPORAL_METRICS_ADDRESS: '9465' })).toThrow(/TEMPORAL_METRICS_ADDRESS: must be host:port/);
  });

  it('knows every variable once: the schema and those read elsewhere do not overlap', () => {
    const schema = Object.keys(envSchema.shape);
    expect(schema.filter((k) => k in ENV_READ_ELSEWHERE)).toEqual([]);
    expect(new Set(knownEnvVariables()).size).toBe(knownEnvVariables().length);
    expect(knownEnvVariables()).toEqual(expect.arrayContaining(['TEMPORAL_TLS_CERT_FILE', 'SLACK_BOT_TOKEN', 'SAFEGUARD_CODEC_KEY_FILE', 'AWS_WEB_IDENTITY_TOKEN_FILE']));
  });
});

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const TEXT = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT;

/** A fake operator service: the namespace's custom attributes, and what an add call does. */
function fakeConnection(custom: Record<string, number>, add: (attrs: Record<string, number>) => void = (a) => Object.assign(custom, a), list?: () => never): { connection: Connection; adds: Record<string, number>[] } {
  const adds: Record<string, number>[] = [];
  const operatorService = {
    listSearchAttributes: () => (list ? Promise.resolve().then(list) : Promise.resolve({ customAttributes: { ...custom } })),
    addSearchAttributes: ({ searchAttributes }: { searchAttributes: Record<string, number> }) =>
      Promise.resolve().then(() => {
        adds.push(searchAttributes);
        add(searchAttributes);
        return {};
      }),
  };
  return { connection: { operatorService } as unknown as Connection, adds };
}

describe('search attributes at worker start', () => {
  it('adds only the missing ones, and nothing the second time', async () => {
    const custom: Record<string, number> = { SafeguardKind: KEYWORD, SomeoneElses: TEXT };
    const { connection, adds } = fakeConnection(custom);
    const first = await ensureSearchAttributes(connection, 'prod');
    expect(first.added).toEqual(SAFEGUARD_SEARCH_ATTRIBUTE_NAMES.filter((n) => n !== 'SafeguardKind'));
    expect(Object.values(adds[0] ?? {})).toEqual(first.added.map(() => KEYWORD));
    expect((await ensureSearchAttributes(connection, 'prod')).added).toEqual([]);
    expect(adds).toHaveLength(1);
  });

  it('refuses an attribute registered with another type, naming it', async () => {
    const { connection, adds } = fakeConnection({ SafeguardOutcome: TEXT });
    await expect(ensureSearchAttributes(connection, 'prod')).rejects.toThrow(/namespace prod has SafeguardOutcome as INDEXED_VALUE_TYPE_TEXT; Safeguard needs Keyword/);
    expect(adds).toEqual([]);
  });

  it('says which attributes to add, and how, when the identity may not add them', async () => {
    const denied = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
    const { connection } = fakeConnection({ SafeguardKind: KEYWORD }, () => {
      throw denied;
    });
    const err = await ensureSearchAttributes(connection, 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeError);
    expect(String((err as Error).message)).toMatch(/may not add search attributes to namespace prod; missing: SafeguardRequester, /);
    expect(String((err as Error).message)).toMatch(/temporal operator search-attribute create --namespace prod --name SafeguardRequester --type Keyword/);
    expect(String((err as Error).message)).not.toMatch(/--name SafeguardKind /);
  });

  it('tries the add when it may not even list them, and treats "already exists" as done', async () => {
    const { connection, adds } = fakeConnection(
      {},
      () => {
        throw new Error('6 ALREADY_EXISTS: search attribute SafeguardKind already exists');
      },
      () => {
        throw Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7 });
      },
    );
    expect((await ensureSearchAttributes(connection, 'prod')).added).toEqual([]);
    expect(Object.keys(adds[0] ?? {})).toEqual([...SAFEGUARD_SEARCH_ATTRIBUTE_NAMES]);
  });
});
