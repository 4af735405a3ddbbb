import type { ReadRecord } from '@mirrorkit/core';
import type { Deduplicator } from './deduplicator.js';
import { decodeSeenKey, MirrorKitSeenKeyCodecError } from './seen-key-codec.js';
import type { SeenKeyRestore } from './seen-key-store.js';

/**
 * Puts the keys of seen-key records into `deduplicator`, oldest first (its eviction follows
 * insertion order); records that do not decode are counted, never fatal. The one restore both
 * seen-key stores use, the whole topic's or one partition's.
 */
export function restoreSeenKeys(records: readonly ReadRecord[], deduplicator: Deduplicator): SeenKeyRestore {
  const seen: { key: string; seenAtMs: number }[] = [];
  let corrupt = 0;
  for (const record of records) {
    try {
      seen.push(decodeSeenKey(record.key, record.value));
    } catch (error) {
      if (!(error instanceof MirrorKitSeenKeyCodecError)) throw error;
      corrupt++;
    }
  }
  seen.sort((a, b) => a.seenAtMs - b.seenAtMs);
  let restored = 0;
  for (const { key, seenAtMs } of seen) if (deduplicator.add(key, seenAtMs)) restored++;
  return { restored, ignored: seen.length - restored, corrupt };
}
