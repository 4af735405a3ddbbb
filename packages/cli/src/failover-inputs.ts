import {
  type FailoverPlan,
  type GroupCheckpoint,
  latestGroupCheckpoints,
  type PartitionBounds,
  planFailover,
  readCheckpointRecords,
  readOffsetSyncs,
  summarizeCheckpointGroups,
} from '@mirrorkit/core';
import { MirrorKitCliError } from './cli-error.js';
import type { ClusterAccess } from './cluster-access.js';
import type { CommittedOffset } from './group-inspection.js';

/** A group's checkpoints for the flow `from -> to`, as read on `to`. */
export interface GroupCheckpointRead {
  readonly checkpointsTopic: string;
  /** The latest checkpoint per partition (`latestGroupCheckpoints`). */
  readonly checkpoints: readonly (GroupCheckpoint & { readonly writtenAtMs: number })[];
  /** Records in the checkpoints topic that were not checkpoints (skipped). */
  readonly skippedRecords: number;
}

/**
 * Reads the group's checkpoints for the flow `from -> to` on `to`. CLI_NO_CHECKPOINTS when no flow
 * checkpoints there, CLI_UNKNOWN_GROUP (naming the groups that do have checkpoints) when the group
 * has none.
 */
export async function readGroupCheckpoints(
  access: ClusterAccess,
  options: { group: string; from: string; to: string },
): Promise<GroupCheckpointRead> {
  const { group, from, to } = options;
  const { policy } = access.config;
  const read = await access.call(to, 'reading checkpoints', () =>
    readCheckpointRecords(access.kafka(to), policy, from, access.timeoutMs * 3),
  );
  if (read === null) {
    throw new MirrorKitCliError(
      'CLI_NO_CHECKPOINTS',
      `${to} has no ${policy.checkpointsTopic(from)}: no MirrorMaker 2 (or sidecar) flow ${from}->${to} writes checkpoints there`,
    );
  }
  const checkpoints = latestGroupCheckpoints(read.checkpoints, group, policy);
  if (checkpoints.length === 0) {
    const known = summarizeCheckpointGroups(read.checkpoints).map((g) => g.group);
    throw new MirrorKitCliError(
      'CLI_UNKNOWN_GROUP',
      `group "${group}" has no checkpoints in ${read.topic} on ${to} (groups with checkpoints: ${known.length > 0 ? known.slice(0, 10).join(', ') : 'none'})`,
    );
  }
  return { checkpointsTopic: read.topic, checkpoints, skippedRecords: read.skipped };
}

/**
 * Gathers the rest of what core's failover planner decides from and asks it: the partitions the
 * group will read on `to` (the checkpointed topics, the topics it has commits for there and, on
 * failback, the originals of the copies it read on `from`) with their bounds, and, when it read
 * such copies, the forward flow's offset syncs. The rule itself is core's, shared with the client.
 */
export async function planPositions(
  access: ClusterAccess,
  options: { from: string; to: string; noPosition: 'earliest' | 'latest' },
  checkpoints: readonly GroupCheckpoint[],
  committedOnTarget: readonly CommittedOffset[],
  committedOnSource: readonly CommittedOffset[],
): Promise<FailoverPlan> {
  const { from, to } = options;
  const { policy } = access.config;
  const copiesOfTarget = committedOnSource.filter((c) => policy.topicSource(c.topic) === to);
  const topics = new Set([
    ...checkpoints.map((o) => o.topic),
    ...committedOnTarget.map((c) => c.topic),
    ...copiesOfTarget.map((c) => policy.upstreamTopic(c.topic) ?? c.topic),
  ]);
  const partitions: PartitionBounds[] = [];
  for (const topic of topics) {
    const ends = await access
      .withAdmin(to, `reading offsets of ${topic}`, (admin) => admin.fetchTopicOffsets(topic))
      .catch((error: unknown) => {
        // A commit for a topic deleted since: nothing to resume there.
        if (committedOnTarget.some((c) => c.topic === topic) && !checkpoints.some((o) => o.topic === topic))
          return [];
        throw error;
      });
    for (const p of ends)
      partitions.push({
        topic,
        partition: p.partition,
        logStart: BigInt(p.low),
        highWatermark: BigInt(p.high),
      });
  }
  const offsetSyncs =
    copiesOfTarget.length === 0
      ? []
      : ((await access.call(to, 'reading offset syncs', () =>
          readOffsetSyncs(access.kafka(to), policy, from, access.timeoutMs * 3),
        )) ?? []);
  return planFailover({
    from,
    to,
    policy,
    partitions,
    checkpoints: checkpoints.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.targetOffset,
      upstreamOffset: o.sourceOffset,
    })),
    committed: committedOnTarget,
    committedOnFrom: copiesOfTarget,
    offsetSyncs,
    noPosition: options.noPosition,
  });
}
