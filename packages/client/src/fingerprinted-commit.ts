import { fingerprintMetadata } from '@mirrorkit/core';
import type { KafkaMessage } from 'kafkajs';

/** One entry of kafkajs's `consumer.commitOffsets`, metadata included. */
export interface FingerprintedCommit {
  readonly topic: string;
  readonly partition: number;
  /** The offset after `message`: the next record the group is handed. */
  readonly offset: string;
  /** `mirrorkit-fp1:<fingerprint>@<timestamp>` of `message`: MM2 copies it into the group's checkpoints. */
  readonly metadata: string;
}

/**
 * The commit of a processed record for a plain kafkajs consumer, carrying the record's fingerprint
 * in the commit metadata. MM2 copies commit metadata into its checkpoints, so `mirrorkit failover`
 * and `mirrorkit translate` can then find the record on the DR cluster and resume right after it
 * instead of at MM2's coarse checkpoint offset. Commit it with `autoCommit: false` (kafkajs's own
 * commits carry no metadata and would overwrite it).
 *
 * @example
 * ```ts
 * await consumer.run({
 *   autoCommit: false,
 *   eachMessage: async ({ topic, partition, message }) => {
 *     await handle(message);
 *     await consumer.commitOffsets([fingerprintedCommit(topic, partition, message)]);
 *   },
 * });
 * ```
 */
export function fingerprintedCommit(
  topic: string,
  partition: number,
  message: KafkaMessage,
): FingerprintedCommit {
  return {
    topic,
    partition,
    offset: (BigInt(message.offset) + 1n).toString(),
    metadata: fingerprintMetadata(message),
  };
}
