// One list of variables (config/env.ts) feeds the dev stack as it feeds docker-compose.yml: the
// environment the stack gives its worker holds only known variables, and parses.
import { knownEnvVariables, parseEnv } from '../../config/env';
import { workerEnvironment } from '../../config/stack-file';
import type { StackInfo } from '../../config/stack-file';

const info: StackInfo = {
  temporalAddress: '127.0.0.1:7233',
  namespace: 'default',
  taskQueue: 'safeguard',
  awsEndpoint: 'http://127.0.0.1:4566',
  region: 'us-east-1',
  policyFile: '/tmp/policy.yaml',
  dataDir: '/tmp/data',
  evidenceDir: '/tmp/data/evidence',
  sandboxFile: '/tmp/data/sandbox.json',
  codecKeyFile: '/tmp/data/codec-keys.json',
  evidenceKeyFile: '/tmp/data/evidence-keys.json',
  evidenceBucket: 'safeguard-evidence-123456789012',
  pid: 1,
  startedAt: '2026-12-02T00:00:00Z',
};

test("the dev stack's worker environment names only variables config/env.ts knows, and parses", () => {
  const env = workerEnvironment(info, { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' });
  const unknown = Object.keys(env).filter((k) => !knownEnvVariables().includes(k));
  expect(unknown).toEqual([]);
  expect(parseEnv(env).SAFEGUARD_SCHEDULE_SYNC).toBe('on');
  expect(parseEnv(env).SAFEGUARD_EVIDENCE_BUCKET).toBe('safeguard-evidence-123456789012');
  expect(env.SAFEGUARD_EVIDENCE_KEY_FILE).toBe('/tmp/data/evidence-keys.json');
  expect(parseEnv(workerEnvironment(info, { accessKeyId: 'A', secretAccessKey: 'B' }, { taskQueue: 'other' })).SAFEGUARD_SCHEDULE_SYNC).toBe('off');
});

test('the evidence variables refuse bad values by name', () => {
  expect(() => parseEnv({ SAFEGUARD_EVIDENCE_BUCKET: 'Not_A_Bucket' })).toThrow(/SAFEGUARD_EVIDENCE_BUCKET: must be an S3 bucket name/);
  expect(() => parseEnv({ SAFEGUARD_EVIDENCE_PREFIX: 'prod' })).toThrow(/SAFEGUARD_EVIDENCE_PREFIX: must be empty or end with \//);
  expect(() => parseEnv({ SAFEGUARD_EVIDENCE_RETENTION_DAYS: '0' })).toThrow(/SAFEGUARD_EVIDENCE_RETENTION_DAYS/);
  expect(parseEnv({ SAFEGUARD_EVIDENCE_BUCKET: 'safeguard-evidence-1', SAFEGUARD_EVIDENCE_PREFIX: 'prod/', SAFEGUARD_EVIDENCE_RETENTION_DAYS: '2190' })).toMatchObject({ SAFEGUARD_EVIDENCE_RETENTION_DAYS: 2190 });
});
