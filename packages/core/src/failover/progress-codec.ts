import { MirrorKitCodecError } from '../codec-error.js';
import type { EncodedRecord, ProgressRecord } from '../records.js';
import { StructReader } from '../struct-reader.js';
import { StructWriter } from '../struct-writer.js';

/** The progress record layout this version writes and reads (key and value both carry it). */
export const PROGRESS_VERSION = 0;

/** The compacted topic on each DR cluster that holds the groups' progress records. */
export const PROGRESS_TOPIC = 'mirrorkit-progress.internal';

/**
 * Encodes a progress record in the Struct layout of MM2's internal records.
 * Key: version (int16) = 0, source cluster, group, topic (strings), partition (int32) — one key per
 * partition of a group, so compaction keeps the latest. Value: version (int16) = 0, next offset
 * (int64), fingerprint (string), the record's timestamp (int64), written-at (int64). The key's version lets a later layout live in
 * the same topic: a reader skips (and counts) what it does not know.
 */
export function encodeProgress(progress: ProgressRecord): EncodedRecord {
  const key = new StructWriter('progress')
    .int16('version', PROGRESS_VERSION)
    .string('source_cluster', progress.sourceCluster)
    .string('consumer_group_id', progress.consumerGroupId)
    .string('topic', progress.topic)
    .int32('partition', progress.partition, { nonNegative: true })
    .toBuffer();
  const value = new StructWriter('progress')
    .int16('version', PROGRESS_VERSION)
    .int64('next_offset', progress.nextOffset)
    .string('fingerprint', progress.fingerprint)
    .int64('record_timestamp', progress.recordTimestamp)
    .int64('written_at_ms', progress.writtenAtMs)
    .toBuffer();
  return { key, value };
}

function version(reader: StructReader): void {
  const found = reader.int16('version');
  if (found !== PROGRESS_VERSION) {
    throw new MirrorKitCodecError(
      'CODEC_UNKNOWN_VERSION',
      'progress',
      'version',
      `version ${found} is not known (only ${PROGRESS_VERSION})`,
    );
  }
}

/** Decodes a record of `mirrorkit-progress.internal`; bad bytes throw {@link MirrorKitCodecError}. */
export function decodeProgress(key: Buffer, value: Buffer): ProgressRecord {
  const k = new StructReader('progress', key);
  version(k);
  const sourceCluster = k.string('source_cluster');
  const consumerGroupId = k.string('consumer_group_id');
  const topic = k.string('topic');
  const partition = k.int32('partition', { nonNegative: true });
  k.end('key');
  const v = new StructReader('progress', value);
  version(v);
  const nextOffset = v.int64('next_offset');
  if (nextOffset < 1n) {
    throw new MirrorKitCodecError(
      'CODEC_VALUE_OUT_OF_RANGE',
      'progress',
      'next_offset',
      `${nextOffset} is below 1`,
    );
  }
  const fingerprint = v.string('fingerprint');
  const recordTimestamp = v.int64('record_timestamp');
  const writtenAtMs = v.int64('written_at_ms');
  v.end('value');
  return {
    sourceCluster,
    consumerGroupId,
    topic,
    partition,
    nextOffset,
    fingerprint,
    recordTimestamp,
    writtenAtMs,
  };
}
