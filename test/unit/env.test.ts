import { ConfigError, apiEnv, parseEnv, requireApiServerId } from '../../config/env';
import { temporalTarget } from '../../config/temporal';

describe('parseEnv', () => {
  it('applies the embedded defaults', () => {
    const env = parseEnv({});
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(env.TEMPORAL_TLS).toBe(false);
    expect(env.SAFEGUARD_TASK_QUEUE).toBe('safeguard');
    expect(env.SAFEGUARD_RECONCILE_INTERVAL).toBe('1m');
    expect(env.SAFEGUARD_REVOCATION_TASK_QUEUE).toBe('safeguard-revocations');
    expect(parseEnv({ SAFEGUARD_RECONCILE_INTERVAL: 'off' }).SAFEGUARD_RECONCILE_INTERVAL).toBe('off');
    expect(env.SAFEGUARD_SCHEDULE_SYNC).toBe('on');
    expect(parseEnv({ SAFEGUARD_SCHEDULE_SYNC: 'off' }).SAFEGUARD_SCHEDULE_SYNC).toBe('off');
  });

  it('reads "false" as false and "true" as true', () => {
    expect(parseEnv({ TEMPORAL_TLS: 'false' }).TEMPORAL_TLS).toBe(false);
    expect(parseEnv({ TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
  });

  it.each([
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS'],
    [{ TEMPORAL_ADDRESS: 'no-port' }, 'TEMPORAL_ADDRESS'],
    [{ AWS_REGION: 'moon-1' }, 'AWS_REGION'],
    [{ SAFEGUARD_AWS_ENDPOINT: 'not a url' }, 'SAFEGUARD_AWS_ENDPOINT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SAFEGUARD_RECONCILE_INTERVAL: 'sometimes' }, 'SAFEGUARD_RECONCILE_INTERVAL'],
    [{ SAFEGUARD_RECONCILE_INTERVAL: '1.5m' }, 'SAFEGUARD_RECONCILE_INTERVAL'],
    [{ SAFEGUARD_REVOCATION_TASK_QUEUE: '' }, 'SAFEGUARD_REVOCATION_TASK_QUEUE'],
    [{ SAFEGUARD_SCHEDULE_SYNC: 'sometimes' }, 'SAFEGUARD_SCHEDULE_SYNC'],
    [{ SAFEGUARD_SCHEDULE_SYNC: 'false' }, 'SAFEGUARD_SCHEDULE_SYNC'],
  ])('names the bad variable in %j', (source, name) => {
    expect(() => parseEnv(source)).toThrow(ConfigError);
    expect(() => parseEnv(source)).toThrow(new RegExp(name));
  });

  it('turns TLS on when an API key is set (Temporal Cloud)', () => {
    expect(temporalTarget(parseEnv({ TEMPORAL_API_KEY: 'k' })).tls).toBe(true);
  });
});

describe('the api server id', () => {
  it('has no default: the api refuses to start without one, saying what to set it to', () => {
    const env = parseEnv({ SAFEGUARD_CODEC_AUTH_TOKEN: 'a-codec-token-of-32-characters!!' });
    expect(env.SAFEGUARD_API_SERVER_ID).toBeUndefined();
    expect(() => apiEnv(env)).toThrow(ConfigError);
    expect(() => apiEnv(env)).toThrow(/SAFEGUARD_API_SERVER_ID is not set: set it to a value unique to this api deployment, e\.g\. the api's public URL/);
  });

  it('accepts a URL, refuses spaces', () => {
    expect(parseEnv({ SAFEGUARD_API_SERVER_ID: 'https://safeguard-api.example.com' }).SAFEGUARD_API_SERVER_ID).toBe('https://safeguard-api.example.com');
    expect(() => parseEnv({ SAFEGUARD_API_SERVER_ID: 'my api' })).toThrow(/SAFEGUARD_API_SERVER_ID/);
  });

  it('is required by the CLI for an api given by SAFEGUARD_API_URL', () => {
    expect(() => requireApiServerId(parseEnv({ SAFEGUARD_API_URL: 'https://safeguard-api.example.com' }))).toThrow(
      /SAFEGUARD_API_SERVER_ID is not set: the CLI needs the server id of the api at https:\/\/safeguard-api\.example\.com/,
    );
    expect(requireApiServerId(parseEnv({ SAFEGUARD_API_URL: 'https://a.example', SAFEGUARD_API_SERVER_ID: 'https://a.example' }))).toBe('https://a.example');
  });
});

describe('codec endpoint authentication', () => {
  const id = { SAFEGUARD_API_SERVER_ID: 'https://safeguard-api.example.com' };

  it('the api refuses to start with neither a token nor the explicit opt-out', () => {
    expect(() => apiEnv(parseEnv(id))).toThrow(/SAFEGUARD_CODEC_AUTH_TOKEN is not set/);
    expect(() => apiEnv(parseEnv(id))).toThrow(/SAFEGUARD_CODEC_AUTH=off/);
  });

  it('names every missing variable at once', () => {
    const e = (() => {
      try {
        apiEnv(parseEnv({}));
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e?.message).toMatch(/SAFEGUARD_API_SERVER_ID/);
    expect(e?.message).toMatch(/SAFEGUARD_CODEC_AUTH_TOKEN/);
  });

  it('with a token, both directions need it; with SAFEGUARD_CODEC_AUTH=off, decode is open', () => {
    expect(apiEnv(parseEnv({ ...id, SAFEGUARD_CODEC_AUTH_TOKEN: 'a-codec-token-of-32-characters!!' }))).toEqual({
      serverId: id.SAFEGUARD_API_SERVER_ID,
      codec: { authToken: 'a-codec-token-of-32-characters!!', unauthenticatedDecode: false },
    });
    expect(apiEnv(parseEnv({ ...id, SAFEGUARD_CODEC_AUTH: 'off' })).codec).toEqual({ unauthenticatedDecode: true });
  });

  it('SAFEGUARD_CODEC_AUTH is on or off, nothing else (a typo must not open the codec)', () => {
    expect(parseEnv({}).SAFEGUARD_CODEC_AUTH).toBe('on');
    expect(parseEnv({ SAFEGUARD_CODEC_AUTH: '' }).SAFEGUARD_CODEC_AUTH).toBe('on');
    expect(parseEnv({ SAFEGUARD_CODEC_AUTH: 'on' }).SAFEGUARD_CODEC_AUTH).toBe('on');
    expect(parseEnv({ SAFEGUARD_CODEC_AUTH: 'off' }).SAFEGUARD_CODEC_AUTH).toBe('off');
    for (const v of ['false', 'no', '0', 'OFF', 'of']) expect(() => parseEnv({ SAFEGUARD_CODEC_AUTH: v })).toThrow(/SAFEGUARD_CODEC_AUTH: must be on or off/);
  });
});
