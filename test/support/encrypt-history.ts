// A recorded history (no codec) turned into what a production server stores: every payload the SDK
// would encode, encrypted by the payload codec. Search attributes stay plain (the server indexes
// them), and so do markers (Core writes the patch markers' details itself, past the codec). Not a
// test file.
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { EncryptionCodec } from '../../codec';
import type { KeyRing } from '../../codec';

type History = temporal.api.history.v1.IHistory;

export async function encryptHistory(history: History, keyring: KeyRing): Promise<History> {
  const codec = new EncryptionCodec(keyring);
  const walk = async (v: unknown): Promise<void> => {
    if (Array.isArray(v)) {
      for (const x of v) await walk(x);
      return;
    }
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    for (const [k, child] of Object.entries(o)) {
      if (k === 'indexedFields' || k === 'markerRecordedEventAttributes') continue;
      if (k === 'payloads' && Array.isArray(child)) o[k] = await codec.encode(child as Payload[]);
      else await walk(child);
    }
  };
  await walk(history);
  return history;
}
