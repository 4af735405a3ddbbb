import { type FlowConfig, TOPIC_WATCH_INTERVAL_SECONDS } from '@mirrorkit/core';
import type { Admin } from 'kafkajs';
import { shouldReplicateTopic } from './topic-selection.js';

// How often a flow looks at the source's topic names and partition counts between full re-syncs
// (MirrorKit's bound on picking up a new topic or partition; MM2 only looks at every full re-sync,
// refresh.topics.interval.seconds, 600 s by default): one value, in core, which the CLI explains.
export { TOPIC_WATCH_INTERVAL_SECONDS };

/**
 * Seconds between two watches of a flow, 0 for none: none when topic refresh is switched off
 * (`refresh.topics.enabled = false` means no new topics, as in MM2), nor when the full re-sync
 * already runs as often.
 */
export function topicWatchIntervalSeconds(flow: FlowConfig): number {
  const { enabled, intervalSeconds } = flow.refreshTopics;
  return enabled && intervalSeconds > TOPIC_WATCH_INTERVAL_SECONDS ? TOPIC_WATCH_INTERVAL_SECONDS : 0;
}

/**
 * The source topics `flow` replicates with their partition counts, sorted by name. One metadata
 * request for all topics: names and partitions come from the same answer, so a topic deleted
 * meanwhile cannot fail a second request.
 */
export async function selectedTopics(admin: Admin, flow: FlowConfig): Promise<Map<string, number>> {
  const { topics } = await admin.fetchTopicMetadata();
  return new Map(
    topics
      .filter((t) => shouldReplicateTopic(flow, t.name))
      .map((t) => [t.name, t.partitions.length] as const)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
  );
}

/** True when both selections hold the same topics with the same partition counts. */
export function sameSelection(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, partitions] of a) if (b.get(topic) !== partitions) return false;
  return true;
}
