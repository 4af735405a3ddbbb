import type { Kafka } from 'kafkajs';
import { MirrorKitError } from './errors.js';
import { clusterOf, kafkajsBatch, READ_COMMITTED } from './kafkajs-cluster.js';

/** Why a groupless read failed. */
export type TopicReaderErrorCode = 'READER_UNSUPPORTED_CLIENT' | 'READER_UNKNOWN_TOPIC' | 'READER_TIMEOUT';

/** A failure reading a topic directly (no consumer group). The message names topic and cluster. */
export class TopicReaderError extends MirrorKitError {
  declare readonly code: TopicReaderErrorCode;
  constructor(code: TopicReaderErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One record as read from a partition. `key`/`value` are null for null keys and tombstones. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** Options for {@link readTopicToEnd}. */
export interface ReadTopicOptions {
  /** Give up (with {@link TopicReaderError} `READER_TIMEOUT`) after this long. Default 30 s. */
  timeoutMs?: number;
  /** Bytes asked per partition per fetch. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Where to start per partition; partitions not listed start at their earliest offset. */
  startOffsets?: ReadonlyMap<number, bigint>;
  /** Only these partitions. Default: every partition. */
  partitions?: readonly number[];
  /** Where to stop per partition (exclusive), where that comes before the end. */
  stopOffsets?: ReadonlyMap<number, bigint>;
}

function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

function errorType(error: unknown): string | undefined {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Reads every partition of `topic` from its earliest offset (or `startOffsets`) up to the end
 * offsets taken when the call starts, and returns the records in offset order per partition.
 * Records written after the call started are not waited for: the read ends at a known point
 * instead of "when it has been quiet for a while".
 *
 * It joins no consumer group and commits nothing. Reads use `read_committed`.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  options: ReadTopicOptions = {},
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  await visitTopicToEnd(kafka, topic, options, (record) => {
    records.push(record);
    return true;
  });
  return records;
}

/**
 * {@link readTopicToEnd} that hands each record to `visit` instead of keeping it: for reads too
 * long to hold in memory. `visit` returning false stops the read of that record's partition.
 */
export async function visitTopicToEnd(
  kafka: Kafka,
  topic: string,
  options: ReadTopicOptions,
  visit: (record: ReadRecord) => boolean | undefined,
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const maxBytes = options.maxBytesPerPartition ?? 1024 * 1024;
  const cluster = clusterOf(kafka, (detail) => new TopicReaderError('READER_UNSUPPORTED_CLIENT', detail));
  const Batch = kafkajsBatch();
  await cluster.connect();
  try {
    try {
      await cluster.addTargetTopic(topic);
    } catch (error) {
      if (errorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new TopicReaderError(
          'READER_UNKNOWN_TOPIC',
          `topic "${topic}" does not exist on this cluster`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const all = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
    const partitions = options.partitions ? all.filter((p) => options.partitions?.includes(p)) : all;
    if (all.length === 0) {
      throw new TopicReaderError('READER_UNKNOWN_TOPIC', `topic "${topic}" does not exist on this cluster`);
    }
    if (partitions.length === 0) return;
    const offsets = async (fromBeginning: boolean): Promise<Map<number, bigint>> => {
      const [result] = await cluster.fetchTopicsOffset([
        { topic, partitions: partitions.map((partition) => ({ partition })), fromBeginning },
      ]);
      return new Map((result?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    };
    const earliest = await offsets(true);
    const ends = await offsets(false);
    const next = new Map<number, bigint>();
    for (const partition of partitions) {
      const start = options.startOffsets?.get(partition) ?? earliest.get(partition) ?? 0n;
      const low = earliest.get(partition) ?? 0n;
      next.set(partition, start < low ? low : start);
    }

    for (const partition of partitions) {
      const last = ends.get(partition) ?? 0n;
      const stop = options.stopOffsets?.get(partition);
      const end = stop !== undefined && stop < last ? stop : last;
      while ((next.get(partition) ?? 0n) < end) {
        if (Date.now() > deadline) {
          throw new TopicReaderError(
            'READER_TIMEOUT',
            `reading "${topic}" partition ${partition} stopped at offset ${next.get(partition)} of ${end}: timed out`,
          );
        }
        const fetchOffset = next.get(partition) ?? 0n;
        try {
          const leader = cluster
            .findTopicPartitionMetadata(topic)
            .find((p) => p.partitionId === partition)?.leader;
          const broker = await cluster.findBroker({ nodeId: leader ?? -1 });
          const response = await broker.fetch({
            replicaId: -1,
            isolationLevel: READ_COMMITTED,
            maxWaitTime: 200,
            minBytes: 1,
            maxBytes,
            topics: [{ topic, partitions: [{ partition, fetchOffset: fetchOffset.toString(), maxBytes }] }],
          });
          const data = response.responses[0]?.partitions.find((p) => p.partition === partition);
          if (!data) continue;
          const batch = new Batch(topic, fetchOffset.toString(), data);
          let stopped = false;
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= end) break;
            const more = visit({
              topic,
              partition,
              offset,
              timestamp: BigInt(message.timestamp),
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
            });
            if (more === false) {
              stopped = true;
              break;
            }
          }
          if (stopped) break;
          // lastOffset() covers batches emptied by compaction or made of control records, so the
          // read always moves forward.
          if (!batch.isEmptyIncludingFiltered()) next.set(partition, BigInt(batch.lastOffset()) + 1n);
        } catch (error) {
          if (errorType(error) === 'OFFSET_OUT_OF_RANGE') {
            // Retention deleted what we were about to read; carry on from what remains.
            next.set(partition, (await offsets(true)).get(partition) ?? fetchOffset);
          } else if (isRetriable(error)) {
            await cluster.refreshMetadata().catch(() => undefined);
            await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
          } else {
            throw error;
          }
        }
      }
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
