import type { EncodedRecord, OffsetSync } from './records.js';
import { StructReader } from './struct-reader.js';
import { StructWriter } from './struct-writer.js';

/**
 * Encodes an offset sync exactly as MM2's `OffsetSync` does. It has no version header.
 * Key: topic (string), partition (int32). Value: upstream offset (int64), downstream offset (int64).
 */
export function encodeOffsetSync(sync: OffsetSync): EncodedRecord {
  const key = new StructWriter('offset-sync')
    .string('topic', sync.topic)
    .int32('partition', sync.partition, { nonNegative: true })
    .toBuffer();
  const value = new StructWriter('offset-sync')
    .int64('upstream_offset', sync.upstreamOffset)
    .int64('downstream_offset', sync.downstreamOffset)
    .toBuffer();
  return { key, value };
}

/** Decodes a record of `mm2-offset-syncs.<alias>.internal`; bad bytes throw `MirrorKitCodecError`. */
export function decodeOffsetSync(key: Buffer, value: Buffer): OffsetSync {
  const k = new StructReader('offset-sync', key);
  const topic = k.string('topic');
  const partition = k.int32('partition', { nonNegative: true });
  k.end('key');
  const v = new StructReader('offset-sync', value);
  const upstreamOffset = v.int64('upstream_offset');
  const downstreamOffset = v.int64('downstream_offset');
  v.end('value');
  return { topic, partition, upstreamOffset, downstreamOffset };
}
