import {
  REDACTED,
  SECRET_KEY_PATTERN,
  SecretDetectedError,
  assertNoSecrets,
  isSecretKey,
  looksLikeSecret,
  redactPaths,
  redactSecrets,
} from '../../config/redact';

// Fixtures are built at run time so the repository itself holds nothing secret-shaped verbatim.
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
const MOTO_TOKEN = `FQoGZXIvYXdzE${'BYaDHhBTEXAMPLEtOkEn0123456789abcdef'.repeat(3)}`;
const STS_TOKEN = `IQoJb3JpZ2lu${'X2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ'.repeat(3)}`;
const FWO_TOKEN = `FwoGZXIvYXdzE${'DaDHdfkjhKJHG76sdfkjh'.repeat(2)}`;
const SLACK_BOT = ['xoxb', '1234567890', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const SLACK_APP = ['xapp', '1', 'A0123456789', '1234567890123', 'abcdef0123456789'].join('-');

describe('SECRET_KEY_PATTERN / isSecretKey', () => {
  it.each([
    'secretAccessKey', 'SecretAccessKey', 'sessionToken', 'SessionToken', 'token', 'password', 'signingSecret',
    'clientSecret', 'TokenValue', 'keyMaterial', 'KeyMaterial', 'botToken', 'SecretString', 'Plaintext',
  ])('treats %s as a secret key', (key) => {
    expect(isSecretKey(key)).toBe(true);
    expect(SECRET_KEY_PATTERN.test(key)).toBe(true);
  });

  it.each(['accessKeyId', 'AccessKeyId', 'secretArn', 'SecretId', 'nextToken', 'NextToken', 'ClientRequestToken', 'tokenExpiresAt', 'role'])(
    'does not treat %s as a secret key',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});

describe('redactSecrets', () => {
  it('returns a deep copy with secret values replaced and the input untouched', () => {
    const input = {
      Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'x', SessionToken: 'y', Expiration: new Date(0) },
      slack: { signingSecret: 's', botToken: 't' },
      list: [{ password: 'p', user: 'alice' }],
      token: null,
    };
    const out = redactSecrets(input);
    expect(out).toEqual({
      Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: REDACTED, SessionToken: REDACTED, Expiration: new Date(0) },
      slack: { signingSecret: REDACTED, botToken: REDACTED },
      list: [{ password: REDACTED, user: 'alice' }],
      token: null,
    });
    expect(input.Credentials.SecretAccessKey).toBe('x');
    expect(out.Credentials).not.toBe(input.Credentials);
  });

  it('handles cycles', () => {
    const a: Record<string, unknown> = { password: 'p' };
    a.self = a;
    const out = redactSecrets(a);
    expect(out.password).toBe(REDACTED);
    expect(out.self).toBe(out);
  });
});

describe('looksLikeSecret', () => {
  it.each([
    ['an AWS secret access key', AWS_SECRET],
    ['an AWS secret key inside a sentence', `creds: ${AWS_SECRET} leaked`],
    ['a moto session token', MOTO_TOKEN],
    ['an STS session token', STS_TOKEN],
    ['a Fwo session token', FWO_TOKEN],
    ['a long base64 blob', Buffer.from('x'.repeat(20) + 'secret material '.repeat(6)).toString('base64')],
    ['a Slack bot token', SLACK_BOT],
    ['a Slack user token', SLACK_BOT.replace('xoxb', 'xoxp')],
    ['a Slack app token', SLACK_APP],
  ])('flags %s', (_what, s) => {
    expect(looksLikeSecret(s)).toBe(true);
  });

  it('still flags random 40-character keys (they decode to noise, not text)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let flagged = 0;
    for (let i = 0; i < 200; i++) flagged += looksLikeSecret(Array.from({ length: 40 }, () => alphabet[Math.floor(rand() * 64)]).join('')) ? 1 : 0;
    expect(flagged).toBeGreaterThanOrEqual(195);
  });

  it.each([
    ['a workflow id', 'breakglass-BreakGlassAdmin-ab12cd34'],
    ['a role ARN', 'arn:aws:iam::123456789012:role/breakglass/BreakGlassAdminProd2024'],
    ['an ARN with a 40-char resource', `arn:aws:iam::123456789012:role/${'Ab1'.repeat(12)}Ab1x`],
    ['an ISO date', '2026-11-27T22:14:28.123Z'],
    ['a sha256 hex hash', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['two sha256 hashes', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'.repeat(2)],
    ['a git sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['an access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['a CamelCase identifier of 40 chars', 'BreakGlassAdminRoleForProductionAccount1'],
    ['a path', 'activities/evidence/store/something/abcd'],
    ['a Slack user id', 'U0123ABCDEF'],
    ['a sentence', 'alice requested BreakGlassAdmin for 30m: incident INC-1234'],
    ['redacted', REDACTED],
    // A history carries JSON-encoded ids as base64; 29 bytes make exactly 40 characters.
    ['base64 of a JSON-encoded id', Buffer.from('"safeguard-rotate-kms-it-kms"').toString('base64')],
  ])('does not flag %s', (_what, s) => {
    expect(looksLikeSecret(s)).toBe(false);
  });
});

describe('assertNoSecrets', () => {
  it('passes clean and redacted values', () => {
    expect(() =>
      assertNoSecrets({ role: 'BreakGlassAdmin', SecretAccessKey: REDACTED, token: '', nested: [{ password: REDACTED }] }, 'test'),
    ).not.toThrow();
  });

  it('throws for a non-empty value under a secret key, naming the path but not the value', () => {
    const err = (() => {
      try {
        assertNoSecrets({ a: { b: [{ password: 'hunter2' }] } }, 'rec');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SecretDetectedError);
    expect(err).toMatchObject({ name: 'SecretDetectedError', code: 'SECRET_DETECTED', path: 'rec.a.b[0].password' });
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('throws for a secret-shaped value under an innocent key', () => {
    expect(() => assertNoSecrets({ detail: `got ${MOTO_TOKEN}` }, 'rec')).toThrow(/rec\.detail: value looks like a session-token/);
    expect(() => assertNoSecrets([AWS_SECRET], 'rec')).toThrow(SecretDetectedError);
    expect(() => assertNoSecrets({ x: { y: SLACK_BOT } }, 'rec')).toThrow(/slack-token/);
  });
});

describe('redactPaths', () => {
  it('covers the AWS credential fields at the top level and nested', () => {
    for (const p of ['*.secretAccessKey', '*.SecretAccessKey', '*.sessionToken', '*.SessionToken', 'password', '*.*.SecretAccessKey']) {
      expect(redactPaths).toContain(p);
    }
  });
});
