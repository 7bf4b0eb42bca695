// Connection settings shared by the worker, the api, the Slack app, the CLI and doctor: the same env
// reads the same way. Three shapes: plaintext (the dev server), TLS with client certificates (mTLS:
// self-hosted clusters, Temporal Cloud with certificates) and TLS with an API key (Temporal Cloud).
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError } from './env';
import type { Env } from './env';

export interface TemporalTlsFiles {
  /** PEM client certificate and key (mTLS). */
  certFile?: string;
  keyFile?: string;
  /** PEM CA bundle that signed the frontend's certificate (default: the system roots). */
  caFile?: string;
  serverName?: string;
}

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls: boolean;
  apiKey?: string;
  /** Files for TLS beyond the defaults; read when connecting, so a rotated certificate is picked up at restart. */
  tlsFiles?: TemporalTlsFiles;
}

type TemporalEnv = Pick<
  Env,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_SERVER_NAME'
>;

export function temporalTarget(env: TemporalEnv): TemporalTarget {
  if ((env.TEMPORAL_TLS_CERT_FILE === undefined) !== (env.TEMPORAL_TLS_KEY_FILE === undefined)) {
    throw new ConfigError(
      `invalid environment:\n  ${env.TEMPORAL_TLS_CERT_FILE === undefined ? 'TEMPORAL_TLS_CERT_FILE' : 'TEMPORAL_TLS_KEY_FILE'}: mTLS needs both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE (PEM files), or neither`,
    );
  }
  const tlsFiles: TemporalTlsFiles = {
    ...(env.TEMPORAL_TLS_CERT_FILE !== undefined ? { certFile: env.TEMPORAL_TLS_CERT_FILE } : {}),
    ...(env.TEMPORAL_TLS_KEY_FILE !== undefined ? { keyFile: env.TEMPORAL_TLS_KEY_FILE } : {}),
    ...(env.TEMPORAL_TLS_CA_FILE !== undefined ? { caFile: env.TEMPORAL_TLS_CA_FILE } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME !== undefined ? { serverName: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const hasFiles = Object.keys(tlsFiles).length > 0;
  return {
    address: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    // An API key (Temporal Cloud) or any TLS file implies TLS.
    tls: env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined || hasFiles,
    ...(env.TEMPORAL_API_KEY !== undefined ? { apiKey: env.TEMPORAL_API_KEY } : {}),
    ...(hasFiles ? { tlsFiles } : {}),
  };
}

function readPem(file: string, variable: string): Buffer {
  try {
    const pem = fs.readFileSync(file);
    if (!pem.includes('-----BEGIN ')) throw new Error('not a PEM file (no -----BEGIN line)');
    return pem;
  } catch (err) {
    // `message` rather than instanceof: fs errors may come from another realm (jest, vm contexts).
    throw new ConfigError(`${variable}=${file}: ${(err as { message?: string }).message ?? String(err)}`);
  }
}

/** The TLS part of a connection: false, true (system roots) or certificates read from the named files. */
export function tlsConfig(t: TemporalTarget): TLSConfig | boolean {
  if (!t.tls) return false;
  const f = t.tlsFiles;
  if (!f) return true;
  return {
    ...(f.certFile !== undefined && f.keyFile !== undefined
      ? { clientCertPair: { crt: readPem(f.certFile, 'TEMPORAL_TLS_CERT_FILE'), key: readPem(f.keyFile, 'TEMPORAL_TLS_KEY_FILE') } }
      : {}),
    ...(f.caFile !== undefined ? { serverRootCACertificate: readPem(f.caFile, 'TEMPORAL_TLS_CA_FILE') } : {}),
    ...(f.serverName !== undefined ? { serverNameOverride: f.serverName } : {}),
  };
}

export function connectionOptions(t: TemporalTarget): { address: string; tls?: TLSConfig | boolean; apiKey?: string } {
  const tls = tlsConfig(t);
  return { address: t.address, ...(tls !== false ? { tls } : {}), ...(t.apiKey !== undefined ? { apiKey: t.apiKey } : {}) };
}
