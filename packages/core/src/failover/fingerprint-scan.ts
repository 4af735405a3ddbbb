import type { Kafka } from 'kafkajs';
import { visitTopicToEnd } from '../topic-reader.js';
import type { FailoverPlanInput } from './failover-planner.js';
import type { FailoverPlan } from './failover-position.js';
import {
  applyFingerprintScans,
  type FingerprintScan,
  type FingerprintSearch,
  type FingerprintSearchOptions,
  fingerprintSearches,
  narrowByTimestamp,
} from './fingerprint-match.js';
import { recordFingerprint } from './record-fingerprint.js';

/** Options of {@link scanFingerprints}. */
export interface ScanOptions {
  readonly timeoutMs: number;
  /**
   * Records read past the preferred record once found, to count identical ones after it (for the
   * replay bound). Default 5,000: a consumer that trails the copy by more gets no bound.
   */
  readonly tailRecords?: number;
}

/**
 * Reads each search's range of the target cluster `kafka` points at and notes the offsets of the
 * records with a wanted fingerprint. Each range first starts at the broker's answer for the wanted
 * records' timestamps ({@link narrowByTimestamp}), so a checkpoint a minute old costs a few records
 * read, not a minute of traffic. Groupless, `read_committed`; the searches come back narrowed, as
 * read. A failed read is reported in its scan (`failure`), never thrown.
 */
export async function scanFingerprints(
  kafka: Kafka,
  searches: readonly FingerprintSearch[],
  options: ScanOptions,
): Promise<{ searches: FingerprintSearch[]; scans: FingerprintScan[] }> {
  const deadline = Date.now() + options.timeoutMs;
  const tail = BigInt(options.tailRecords ?? 5000);
  const narrowed = await narrowAll(kafka, searches);
  const byTopic = new Map<string, FingerprintSearch[]>();
  for (const search of narrowed) {
    const list = byTopic.get(search.topic);
    if (list) list.push(search);
    else byTopic.set(search.topic, [search]);
  }
  const scans: FingerprintScan[] = [];
  for (const [topic, list] of byTopic) {
    const state = new Map(
      list.map((s) => [
        s.partition,
        {
          preferred: s.wanted[0]?.fingerprint,
          wanted: new Set(s.wanted.map((w) => w.fingerprint)),
          matches: new Map<string, bigint[]>(),
          read: 0n,
          foundAt: null as bigint | null,
          complete: true,
        },
      ]),
    );
    const reading = list.filter((s) => s.to > s.from);
    let failure: string | undefined;
    if (reading.length > 0)
      await visitTopicToEnd(
        kafka,
        topic,
        {
          partitions: reading.map((s) => s.partition),
          startOffsets: new Map(reading.map((s) => [s.partition, s.from])),
          stopOffsets: new Map(reading.map((s) => [s.partition, s.to])),
          timeoutMs: Math.max(1, deadline - Date.now()),
        },
        (record) => {
          const at = state.get(record.partition);
          if (!at) return false;
          at.read++;
          const fingerprint = recordFingerprint(record);
          if (at.wanted.has(fingerprint)) {
            const offsets = at.matches.get(fingerprint);
            if (offsets) offsets.push(record.offset);
            else at.matches.set(fingerprint, [record.offset]);
            if (fingerprint === at.preferred && at.foundAt === null) at.foundAt = record.offset;
          }
          if (at.foundAt !== null && record.offset - at.foundAt >= tail) {
            at.complete = false;
            return false;
          }
          return true;
        },
      ).catch((error: unknown) => {
        // The failover goes on from the conservative positions; the plan reports why.
        failure = error instanceof Error ? error.message : String(error);
      });
    for (const s of list) {
      const at = state.get(s.partition);
      if (at)
        scans.push({
          topic,
          partition: s.partition,
          matches: at.matches,
          read: at.read,
          complete: at.complete && failure === undefined,
          ...(failure === undefined ? {} : { failure }),
        });
    }
  }
  return { searches: narrowed, scans };
}

/** Each search narrowed by the broker's time index; a failed lookup leaves a search as it was. */
async function narrowAll(kafka: Kafka, searches: readonly FingerprintSearch[]): Promise<FingerprintSearch[]> {
  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
  const answers = new Map<string, Map<number, bigint | null>>();
  try {
    await admin.connect();
    const lookups = new Map<string, { topic: string; timestamp: bigint }>();
    for (const s of searches)
      for (const w of s.wanted)
        lookups.set(`${s.topic}\u0000${w.timestamp}`, { topic: s.topic, timestamp: w.timestamp });
    await Promise.all(
      [...lookups].map(async ([key, { topic, timestamp }]) => {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Number(timestamp));
        answers.set(
          key,
          new Map(offsets.map((o) => [o.partition, BigInt(o.offset) >= 0n ? BigInt(o.offset) : null])),
        );
      }),
    );
  } catch {
    // Without the time index the searches read from the conservative position: slower, as safe.
    return [...searches];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return searches.map((s) =>
    narrowByTimestamp(s, (timestamp) => {
      const byPartition = answers.get(`${s.topic}\u0000${timestamp}`);
      return byPartition?.has(s.partition) ? (byPartition.get(s.partition) ?? null) : s.from;
    }),
  );
}

/**
 * The planner's conservative plan made exact where a fingerprint allows: {@link fingerprintSearches},
 * {@link scanFingerprints} on the target, {@link applyFingerprintScans}. The client's failover and
 * the CLI's both call this after `planFailover`, so the rule stays one.
 */
export async function refineByFingerprint(
  kafka: Kafka,
  plan: FailoverPlan,
  input: FailoverPlanInput,
  options: FingerprintSearchOptions & ScanOptions,
): Promise<FailoverPlan> {
  const planned = fingerprintSearches(plan, input, options);
  if (planned.length === 0) return plan;
  const { searches, scans } = await scanFingerprints(kafka, planned, options);
  return applyFingerprintScans(plan, searches, scans);
}
