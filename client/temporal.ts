// The one way a process gets a Temporal client: the same connection settings, namespace and
// encrypting data converter everywhere (worker, api, Slack app, CLI, dev stack, benchmarks), so no
// front end can forget the codec and put plaintext payloads into history.
import { Client, Connection } from '@temporalio/client';
import { dataConverterWithCodec } from '../codec';
import type { KeyRing } from '../codec/keyring';
import { connectionOptions } from '../config/temporal';
import type { TemporalTarget } from '../config/temporal';

export interface TemporalClientOptions {
  /** Fail fast (the CLI) instead of the SDK's default connect timeout. */
  connectTimeoutMs?: number;
}

export async function connectTemporal(target: TemporalTarget, keyring: KeyRing, opts: TemporalClientOptions = {}): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ ...connectionOptions(target), ...(opts.connectTimeoutMs !== undefined ? { connectTimeout: opts.connectTimeoutMs } : {}) });
  return { client: new Client({ connection, namespace: target.namespace, dataConverter: dataConverterWithCodec(keyring) }), connection };
}
