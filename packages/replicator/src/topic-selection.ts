import type { FlowConfig, ReplicationPolicy } from '@mirrorkit/core';
import { topicFilter } from '@mirrorkit/core';

/**
 * True when `topic` came from `target` along any path (`us-west.orders`, `eu.us-west.orders`
 * when replicating into us-west): copying it back would make a loop.
 */
export function isCycle(policy: ReplicationPolicy, topic: string, target: string): boolean {
  let current: string | null = topic;
  for (let depth = 0; current !== null && depth < 64; depth++) {
    const source = policy.topicSource(current);
    if (source === null) return false;
    if (source === target) return true;
    current = policy.upstreamTopic(current);
  }
  return false;
}

/**
 * Whether flow `source->target` replicates `topic`, as MM2's source connector decides: heartbeats
 * topics always (that is how downstream clusters learn their upstreams), other topics when the
 * flow's include/exclude filters select them; never internal topics and never a topic that came
 * from the target.
 */
export function shouldReplicateTopic(flow: FlowConfig, topic: string): boolean {
  const policy = flow.policy;
  if (isCycle(policy, topic, flow.target)) return false;
  if (policy.isHeartbeatsTopic(topic)) return true;
  if (policy.isInternalTopic(topic) || topic.startsWith('__')) return false;
  return topicFilter(flow)(topic);
}

/** The source topic's configs that go to the remote topic: explicitly set ones, minus exclusions. */
export function replicatedConfigs(
  flow: FlowConfig,
  entries: readonly { name: string; value: string | null; explicit: boolean }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.explicit || entry.value === null) continue;
    if (flow.configPropertiesExclude.test(entry.name)) continue;
    out[entry.name] = entry.value;
  }
  return out;
}
