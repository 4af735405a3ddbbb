import type { Kafka } from 'kafkajs';
import { decodeAll, unlessUnknownTopic } from '../mm2-topic-readers.js';
import type { ProgressRecord } from '../records.js';
import { readTopicToEnd } from '../topic-reader.js';
import { decodeProgress, PROGRESS_TOPIC } from './progress-codec.js';

/** What a read of a progress topic found. */
export interface ProgressRecords {
  readonly topic: string;
  /** The latest record per (source cluster, group, topic, partition), in no particular order. */
  readonly records: readonly ProgressRecord[];
  /** Records that were not progress records of this version (corrupt, foreign, tombstones). */
  readonly skipped: number;
  /** The first few skip reasons, for logs. */
  readonly skipReasons: readonly string[];
}

/**
 * Reads the progress topic on the cluster `kafka` points at, to its end at the start of the call,
 * keeping the latest record per partition of a group; `group` keeps only that group's. Null when
 * the topic does not exist (nobody wrote progress to this cluster yet).
 */
export function readProgressRecords(
  kafka: Kafka,
  options: { readonly group?: string; readonly topic?: string; readonly timeoutMs: number },
): Promise<ProgressRecords | null> {
  const topic = options.topic ?? PROGRESS_TOPIC;
  return unlessUnknownTopic(async () => {
    const read = await readTopicToEnd(kafka, topic, { timeoutMs: options.timeoutMs });
    const { decoded, skipped, skipReasons } = decodeAll(read, 'progress', decodeProgress);
    const latest = new Map<string, ProgressRecord>();
    for (const { value } of decoded) {
      if (options.group !== undefined && value.consumerGroupId !== options.group) continue;
      const key = [value.sourceCluster, value.consumerGroupId, value.topic, value.partition].join('\u0000');
      latest.set(key, value);
    }
    return { topic, records: [...latest.values()], skipped, skipReasons };
  });
}
