// Workflow histories as text for secret scans (DESIGN.md §6 invariant 1): raw, as stored, and every
// payload decoded through the client's codecs (what anyone holding the key would read).
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import type { CliContext } from '../../cli/context';

/** A history as text, payload bytes both as base64 (how the wire and the Web UI show them) and as
 * decoded UTF-8, whichever form fetchHistory() hands them over in (JSON.stringify alone would print
 * a Uint8Array as a map of digits, hiding any secret in it). */
export function historyText(history: unknown): string {
  const bytes = (b: Uint8Array): { base64: string; text: string } => ({ base64: Buffer.from(b).toString('base64'), text: Buffer.from(b).toString('utf8') });
  return JSON.stringify(history, (k, v: unknown) => {
    if (v instanceof Uint8Array) return bytes(v);
    if (k === 'data' && typeof v === 'string') return { base64: v, text: Buffer.from(v, 'base64').toString('utf8') };
    const j = v as { type?: unknown; data?: unknown } | null;
    if (j && typeof j === 'object' && j.type === 'Buffer' && Array.isArray(j.data)) return bytes(Uint8Array.from(j.data as number[]));
    return v;
  });
}

/** Every payload in a history, decoded through the client's codecs (the payload codec encrypts
 * them, DESIGN.md §6.8): what anyone holding the key would read. */
export async function decodedPayloadText(cli: CliContext, history: unknown): Promise<string> {
  const payloads: Payload[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array || seen.has(v)) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (o['data'] instanceof Uint8Array && o['metadata'] && typeof o['metadata'] === 'object') payloads.push(o as Payload);
    for (const x of Object.values(o)) walk(x);
  };
  walk(history);
  const codecs = (cli.temporal.options as unknown as { loadedDataConverter: LoadedDataConverter }).loadedDataConverter.payloadCodecs;
  let decoded = payloads;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  return decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
}

