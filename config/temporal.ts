// Connection settings shared by the worker, the CLI and the tests: the same env reads the same way.
import type { Env } from './env';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls: boolean;
  apiKey?: string;
}

export function temporalTarget(env: Pick<Env, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_API_KEY'>): TemporalTarget {
  return {
    address: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    // An API key (Temporal Cloud) implies TLS.
    tls: env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined,
    ...(env.TEMPORAL_API_KEY !== undefined ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  };
}

export function connectionOptions(t: TemporalTarget): { address: string; tls?: boolean; apiKey?: string } {
  return { address: t.address, ...(t.tls ? { tls: true } : {}), ...(t.apiKey !== undefined ? { apiKey: t.apiKey } : {}) };
}
