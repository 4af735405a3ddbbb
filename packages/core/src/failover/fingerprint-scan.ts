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
} from './fingerprint-match.js';
import { recordFingerprint } from './record-fingerprint.js';

/**
 * Reads each search's range of the target cluster `kafka` points at and notes the offsets of the
 * records with a wanted fingerprint. Groupless, `read_committed`; one topic after another.
 */
export async function scanFingerprints(
  kafka: Kafka,
  searches: readonly FingerprintSearch[],
  options: { readonly timeoutMs: number },
): Promise<FingerprintScan[]> {
  const byTopic = new Map<string, FingerprintSearch[]>();
  for (const search of searches) byTopic.set(search.topic, [...(byTopic.get(search.topic) ?? []), search]);
  const scans: FingerprintScan[] = [];
  const deadline = Date.now() + options.timeoutMs;
  for (const [topic, list] of byTopic) {
    const state = new Map(
      list.map((s) => [
        s.partition,
        {
          wanted: new Set(s.wanted.map((w) => w.fingerprint)),
          matches: new Map<string, bigint[]>(),
          read: 0n,
        },
      ]),
    );
    let failure: string | undefined;
    await visitTopicToEnd(
      kafka,
      topic,
      {
        partitions: list.map((s) => s.partition),
        startOffsets: new Map(list.map((s) => [s.partition, s.from])),
        stopOffsets: new Map(list.map((s) => [s.partition, s.to])),
        timeoutMs: Math.max(1, deadline - Date.now()),
      },
      (record) => {
        const at = state.get(record.partition);
        if (!at) return;
        at.read++;
        const fingerprint = recordFingerprint(record);
        if (!at.wanted.has(fingerprint)) return;
        at.matches.set(fingerprint, [...(at.matches.get(fingerprint) ?? []), record.offset]);
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
          ...(failure === undefined ? {} : { failure }),
        });
    }
  }
  return scans;
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
  options: FingerprintSearchOptions & { readonly timeoutMs: number },
): Promise<FailoverPlan> {
  const searches = fingerprintSearches(plan, input, options);
  if (searches.length === 0) return plan;
  const scans = await scanFingerprints(kafka, searches, options);
  return applyFingerprintScans(plan, searches, scans);
}
