import { MirrorKitCodecError } from './codec-error.js';
import type { Checkpoint, EncodedRecord } from './records.js';
import { StructReader } from './struct-reader.js';
import { StructWriter } from './struct-writer.js';

/** The only checkpoint value version MM2 has written so far (Checkpoint.VERSION). */
export const CHECKPOINT_VERSION = 0;

/**
 * Encodes a checkpoint exactly as MM2's `Checkpoint` does.
 * Key: group (string), topic (string), partition (int32).
 * Value: version (int16) = 0, then upstream offset (int64), downstream offset (int64), metadata (string).
 */
export function encodeCheckpoint(checkpoint: Checkpoint): EncodedRecord {
  const key = new StructWriter('checkpoint')
    .string('consumer_group_id', checkpoint.consumerGroupId)
    .string('topic', checkpoint.topic)
    .int32('partition', checkpoint.partition, { nonNegative: true })
    .toBuffer();
  const value = new StructWriter('checkpoint')
    .int16('version', CHECKPOINT_VERSION)
    .int64('upstream_offset', checkpoint.upstreamOffset)
    .int64('downstream_offset', checkpoint.downstreamOffset)
    .string('metadata', checkpoint.metadata)
    .toBuffer();
  return { key, value };
}

/** Decodes a record of `<alias>.checkpoints.internal`; bad bytes throw {@link MirrorKitCodecError}. */
export function decodeCheckpoint(key: Buffer, value: Buffer): Checkpoint {
  const k = new StructReader('checkpoint', key);
  const consumerGroupId = k.string('consumer_group_id');
  const topic = k.string('topic');
  const partition = k.int32('partition', { nonNegative: true });
  k.end('key');
  const v = new StructReader('checkpoint', value);
  const version = v.int16('version');
  if (version !== CHECKPOINT_VERSION) {
    throw new MirrorKitCodecError(
      'CODEC_UNKNOWN_VERSION',
      'checkpoint',
      'version',
      `version ${version} is not known (only ${CHECKPOINT_VERSION})`,
    );
  }
  const upstreamOffset = v.int64('upstream_offset');
  const downstreamOffset = v.int64('downstream_offset');
  const metadata = v.string('metadata');
  v.end('value');
  return { consumerGroupId, topic, partition, upstreamOffset, downstreamOffset, metadata };
}
