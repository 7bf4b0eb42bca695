import { ConfigError, parseEnv } from '../../config/env';
import { temporalTarget } from '../../config/temporal';

describe('parseEnv', () => {
  it('applies the embedded defaults', () => {
    const env = parseEnv({});
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(env.TEMPORAL_TLS).toBe(false);
    expect(env.SAFEGUARD_TASK_QUEUE).toBe('safeguard');
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
  ])('names the bad variable in %j', (source, name) => {
    expect(() => parseEnv(source)).toThrow(ConfigError);
    expect(() => parseEnv(source)).toThrow(new RegExp(name));
  });

  it('turns TLS on when an API key is set (Temporal Cloud)', () => {
    expect(temporalTarget(parseEnv({ TEMPORAL_API_KEY: 'k' })).tls).toBe(true);
  });
});
