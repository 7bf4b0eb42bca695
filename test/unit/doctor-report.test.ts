// `safeguard doctor`'s output without a deployment: the table, the JSON, the exit-code rule, and
// that secret values never reach either.
import { REDACTED } from '../../config/redact';
import { exitCodeOf, redactReport, renderTable, secretValues, toJson } from '../../cli/doctor/report';
import type { CheckRow, DoctorReport } from '../../cli/doctor/report';
import { parseCheckTimeout } from '../../cli/areas/doctor';

const row = (status: CheckRow['status'], id: string = status, extra: Partial<CheckRow> = {}): CheckRow => ({ id, check: `check ${id}`, status, detail: `detail ${id}`, ...extra });

describe('the exit code', () => {
  it('is 0 when every check is ok', () => {
    expect(exitCodeOf([row('ok', 'a'), row('ok', 'b')])).toBe(0);
  });

  it('stays 0 for warnings and skipped checks', () => {
    expect(exitCodeOf([row('ok'), row('warn'), row('skipped')])).toBe(0);
  });

  it('is non-zero when any check failed', () => {
    expect(exitCodeOf([row('ok'), row('skipped'), row('FAIL')])).toBe(1);
  });

  it('agrees with the JSON `ok` field', () => {
    expect(toJson({ source: 's', checks: [row('FAIL')] }).ok).toBe(false);
    expect(toJson({ source: 's', checks: [row('warn')] }).ok).toBe(true);
  });
});

describe('the table', () => {
  const report: DoctorReport = {
    source: 'the environment',
    checks: [
      { id: 'environment', check: 'environment variables', status: 'ok', detail: 'Temporal 127.0.0.1:7233' },
      { id: 'temporal', check: 'Temporal reachable', status: 'FAIL', detail: 'no Temporal frontend answered', fix: 'check TEMPORAL_ADDRESS' },
      { id: 'namespace', check: 'Temporal namespace', status: 'skipped', detail: 'skipped: Temporal reachable failed' },
      { id: 'policy', check: 'policy file', status: 'FAIL', detail: 'p.yaml:3: people: bad\np.yaml:9: groups: worse', fix: 'correct the lines above' },
      { id: 'tls', check: 'Temporal TLS settings', status: 'warn', detail: 'plaintext to temporal:7233', fix: 'set TEMPORAL_TLS=true' },
      { id: 'slack', check: 'Slack bot token', status: 'ok', detail: 'auth.test ok', fix: 'never shown for an ok row' },
    ],
  };
  const lines = renderTable(report).split('\n');

  it('starts with where the configuration came from and a header', () => {
    expect(lines[0]).toBe('safeguard doctor: the environment');
    expect(lines[2]).toMatch(/^STATUS\s+CHECK\s+RESULT$/);
  });

  it('prints one row per check with its status, what was checked and the result, in order', () => {
    const rows = lines.filter((l) => /^(ok|FAIL|warn|skipped)\s/.test(l));
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual(['ok', 'FAIL', 'skipped', 'FAIL', 'warn', 'ok']);
    expect(rows[1]).toMatch(/^FAIL\s+Temporal reachable\s+no Temporal frontend answered$/);
    expect(rows[2]).toContain('skipped: Temporal reachable failed');
  });

  it('aligns the result column and puts a fix under each failed or warned row only', () => {
    const col = lines[2]!.indexOf('RESULT');
    const fail = lines.findIndex((l) => l.startsWith('FAIL     Temporal reachable'));
    expect(lines[fail]!.indexOf('no Temporal')).toBe(col);
    expect(lines[fail + 1]).toBe(`${' '.repeat(col)}fix: check TEMPORAL_ADDRESS`);
    expect(lines.some((l) => l.includes('set TEMPORAL_TLS=true'))).toBe(true);
    expect(lines.some((l) => l.includes('never shown'))).toBe(false);
  });

  it('continues a multi-line result under the result column', () => {
    const i = lines.findIndex((l) => l.includes('p.yaml:3'));
    expect(lines[i + 1]).toBe(`${' '.repeat(lines[2]!.indexOf('RESULT'))}p.yaml:9: groups: worse`);
  });

  it('ends with a count per status', () => {
    expect(lines.at(-1)).toBe('2 failed, 1 warning, 1 skipped, 2 ok');
  });

  it('has the same rows in JSON, with a summary', () => {
    const json = toJson(report);
    expect(json.checks.map((c) => [c.id, c.status])).toEqual(report.checks.map((c) => [c.id, c.status]));
    expect(json.summary).toEqual({ ok: 2, FAIL: 2, warn: 1, skipped: 1 });
    expect(json.checks[1]).toEqual({ id: 'temporal', check: 'Temporal reachable', status: 'FAIL', detail: 'no Temporal frontend answered', fix: 'check TEMPORAL_ADDRESS' });
  });
});

describe('secrets', () => {
  const TOKEN = 'xoxb-1111-2222-FAKESECRETTOKENVALUE';
  const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY';
  const CODEC = 'q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=';
  const env = {
    SLACK_BOT_TOKEN: TOKEN,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEKEYID0000000',
    SAFEGUARD_CODEC_KEYS: `k1:${CODEC}`,
    TEMPORAL_API_KEY: 'temporal-api-key-fake-value',
    SAFEGUARD_CODEC_AUTH_TOKEN: 'codec-bearer-token-fake',
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    LOG_LEVEL: 'info',
  };

  it('finds every secret value in the environment, and nothing else', () => {
    const found = secretValues(env);
    expect(found).toEqual(expect.arrayContaining([TOKEN, AWS_SECRET, CODEC, `k1:${CODEC}`, 'temporal-api-key-fake-value', 'codec-bearer-token-fake']));
    expect(found).not.toContain('127.0.0.1:7233');
    expect(found).not.toContain('AKIAFAKEKEYID0000000');
  });

  it('are replaced wherever a check quoted them, in the table and in the JSON', () => {
    const leaky: DoctorReport = {
      source: 'the environment',
      checks: [
        { id: 'slack', check: 'Slack bot token', status: 'FAIL', detail: `Slack refused ${TOKEN}`, fix: `check ${TOKEN}` },
        { id: 'codec-key', check: 'payload codec key ring', status: 'FAIL', detail: `bad key ${CODEC}` },
        { id: 'aws-broker', check: 'AWS broker identity', status: 'FAIL', detail: `signature with ${AWS_SECRET}` },
      ],
    };
    const clean = redactReport(leaky, secretValues(env));
    for (const text of [renderTable(clean), JSON.stringify(toJson(clean))]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(CODEC);
      expect(text).not.toContain(AWS_SECRET);
      expect(text).toContain(REDACTED);
    }
  });
});

describe('--timeout', () => {
  it('takes a duration per check', () => {
    expect(parseCheckTimeout('30s')).toBe(30_000);
    expect(parseCheckTimeout('2m')).toBe(120_000);
  });

  it.each([
    ['abc', /"abc" is not a duration/],
    ['0s', /must be longer than zero/],
    ['10', /add a unit/],
    ['1h', /"1h" is longer than the 5m limit/],
  ])('refuses %s with a clear message', (text, message) => {
    expect(() => parseCheckTimeout(text)).toThrow(message);
  });
});
