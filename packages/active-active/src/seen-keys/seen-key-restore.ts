import { type ReadRecord, type ReadTopicOptions, readTopicToEnd, TopicReaderError } from '@mirrorkit/core';
import type { Kafka } from 'kafkajs';
import type { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyCodecError } from '../errors.js';
import { decodeSeenKey } from './seen-key-codec.js';
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

/**
 * The records of a store's copy on this cluster (another cluster's store replicated by MM2): a
 * copy that does not exist yet — MM2 has not created it, or does not replicate it — reads as
 * empty, where the store's own topic not existing is an error.
 */
export async function readStoreCopy(
  kafka: Kafka,
  topic: string,
  options: ReadTopicOptions,
): Promise<ReadRecord[]> {
  try {
    return await readTopicToEnd(kafka, topic, options);
  } catch (error) {
    if (error instanceof TopicReaderError && error.code === 'READER_UNKNOWN_TOPIC') return [];
    throw error;
  }
}
