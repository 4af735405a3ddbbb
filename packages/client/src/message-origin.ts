import type { ReplicationPolicy } from '@mirrorkit/core';

/** Where a record was first written. */
export interface MessageOrigin {
  /** The alias of the cluster the record was originally produced to. */
  readonly cluster: string;
  /** The topic name it was produced to there (the policy's `originalTopic`). */
  readonly topic: string;
}

/**
 * Follows the policy's chain of upstream topics to the first hop: for `us-west.us-east.orders`
 * read on `eu` that is `us-east`/`orders`. A topic with no source (a local topic) originates on
 * the cluster it is read from. Under IdentityReplicationPolicy names do not change, so the chain
 * stops at the configured source alias.
 */
export function messageOrigin(policy: ReplicationPolicy, topic: string, localCluster: string): MessageOrigin {
  let cluster = localCluster;
  let current = topic;
  for (let hops = 0; hops < 64; hops++) {
    const source = policy.topicSource(current);
    if (source === null) break;
    cluster = source;
    const upstream = policy.upstreamTopic(current);
    if (upstream === null || upstream === current) break;
    current = upstream;
  }
  return { cluster, topic: policy.originalTopic(topic) };
}
