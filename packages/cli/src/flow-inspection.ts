import {
  latestSyncs,
  newestHeartbeat,
  type ReplicationLag,
  readOffsetSyncs,
  replicationLag,
  syncKey,
} from '@mirrorkit/core';
import type { ClusterAccess } from './cluster-access.js';

/**
 * Age of the newest heartbeat that travelled the flow `from -> to` (read on `to`), in ms; null when
 * none has. MM2 (and the sidecar) emit heartbeats into `from` and copy them to `to` with the data,
 * so this age bounds how much of `from`'s recent writes may not have reached `to`: the RPO estimate.
 */
export async function heartbeatAge(access: ClusterAccess, from: string, to: string): Promise<number | null> {
  const { policy } = access.config;
  const readAt = Date.now();
  const newest = await access.call(to, 'reading heartbeats', () =>
    newestHeartbeat(access.kafka(to), policy.formatRemoteTopic(from, policy.heartbeatsTopic()), from),
  );
  return newest === null ? null : Math.max(0, readAt - Number(newest));
}

/** Replication lag of one remote topic. */
export interface RemoteTopicLag {
  /** The topic on the target (`us-east.orders`). */
  readonly topic: string;
  /** The topic on the source (`orders`). */
  readonly sourceTopic: string;
  readonly partitions: number;
  /** Records on the source not yet on the target, summed over partitions. */
  readonly lag: bigint;
  readonly basis: ReplicationLag['basis'];
}

/**
 * Lag of every remote topic the flow `from -> to` created on `to` (heartbeats and internal topics
 * excluded), from end offsets on both clusters and the flow's offset syncs. Both clusters must be
 * reachable.
 */
export async function remoteTopicLags(
  access: ClusterAccess,
  from: string,
  to: string,
): Promise<RemoteTopicLag[]> {
  const { policy } = access.config;
  const targetTopics = await access.withAdmin(to, 'listing topics', (admin) => admin.listTopics());
  const remote = targetTopics
    .filter(
      (t) => policy.topicSource(t) === from && !policy.isInternalTopic(t) && !policy.isHeartbeatsTopic(t),
    )
    .sort();
  if (remote.length === 0) return [];
  const syncs = await access.call(from, 'reading offset syncs', () =>
    readOffsetSyncs(access.kafka(from), policy, to, access.timeoutMs * 3),
  );
  const latest = latestSyncs(syncs ?? []);
  const sourceTopics = await access.withAdmin(from, 'listing topics', (admin) => admin.listTopics());
  const pairs = remote
    .map((topic) => ({ topic, sourceTopic: policy.upstreamTopic(topic) ?? topic }))
    .filter((p) => sourceTopics.includes(p.sourceTopic));
  // One admin connection per cluster for every topic: a flow can have hundreds of remote topics.
  const [sourceEnds, targetEnds] = await Promise.all([
    access.withAdmin(from, 'reading end offsets', async (admin) =>
      Promise.all(pairs.map((p) => admin.fetchTopicOffsets(p.sourceTopic))),
    ),
    access.withAdmin(to, 'reading end offsets', async (admin) =>
      Promise.all(pairs.map((p) => admin.fetchTopicOffsets(p.topic))),
    ),
  ]);
  const lags: RemoteTopicLag[] = [];
  pairs.forEach(({ topic, sourceTopic }, i) => {
    const targetEnd = new Map((targetEnds[i] ?? []).map((p) => [p.partition, BigInt(p.high)]));
    let lag = 0n;
    let basis: ReplicationLag['basis'] = 'sync';
    for (const p of sourceEnds[i] ?? []) {
      const measured = replicationLag(
        BigInt(p.high),
        targetEnd.get(p.partition) ?? 0n,
        latest.get(syncKey(sourceTopic, p.partition)),
      );
      lag += measured.records;
      if (measured.basis === 'estimate') basis = 'estimate';
    }
    lags.push({ topic, sourceTopic, partitions: sourceEnds[i]?.length ?? 0, lag, basis });
  });
  return lags;
}
