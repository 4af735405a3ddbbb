import {
  type FailoverPlan,
  type FailoverPlanInput,
  type GroupCheckpoint,
  latestGroupCheckpoints,
  type PartitionBounds,
  PROGRESS_TOPIC,
  type ProgressRecord,
  planFailover,
  readCheckpointRecords,
  readOffsetSyncs,
  readProgressRecords,
  refineByFingerprint,
  summarizeCheckpointGroups,
} from '@mirrorkit/core';
import { MirrorKitCliError } from './cli-error.js';
import { type ClusterAccess, oneLine } from './cluster-access.js';
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

/** What the group's progress records on the target gave the plan. */
export interface ProgressRead {
  /** The progress topic read on the target. */
  readonly topic: string;
  /** False when it does not exist there: no MirrorKit consumer wrote progress to that cluster. */
  readonly found: boolean;
  /** The group's latest progress records there for partitions it read on the cluster it leaves. */
  readonly records: number;
  /** Records in the topic that were not progress records of this version (skipped). */
  readonly skippedRecords: number;
  /** When the newest of `records` was written (ms since the epoch, the consumer's clock); null if none. */
  readonly newestWrittenAtMs: number | null;
  /** Why the topic could not be read (the plan then stands on checkpoints alone); null when it was. */
  readonly error: string | null;
}

/** Core's plan for the group, made exact where a fingerprint allows, and what the progress read found. */
export interface PlannedPositions extends FailoverPlan {
  readonly progress: ProgressRead;
}

/**
 * The group's progress records on `to` for partitions it read on `from`. A failed read is not
 * fatal: without progress the plan is the conservative one (checkpoints, possibly refined by their
 * fingerprints), which never skips a record; the failure is reported instead.
 */
async function readGroupProgress(
  access: ClusterAccess,
  options: { group: string; from: string; to: string },
): Promise<{ records: readonly ProgressRecord[]; read: ProgressRead }> {
  const none = { topic: PROGRESS_TOPIC, records: 0, skippedRecords: 0, newestWrittenAtMs: null };
  try {
    const read = await readProgressRecords(access.kafka(options.to), {
      group: options.group,
      timeoutMs: access.timeoutMs * 3,
    });
    if (read === null) return { records: [], read: { ...none, found: false, error: null } };
    const records = read.records.filter((r) => r.sourceCluster === options.from);
    const newest = records.reduce<bigint | null>(
      (max, r) => (max === null || r.writtenAtMs > max ? r.writtenAtMs : max),
      null,
    );
    return {
      records,
      read: {
        topic: read.topic,
        found: true,
        records: records.length,
        skippedRecords: read.skipped,
        newestWrittenAtMs: newest === null ? null : Number(newest),
        error: null,
      },
    };
  } catch (error) {
    return { records: [], read: { ...none, found: true, error: oneLine(error) } };
  }
}

/**
 * Gathers the rest of what core's failover planner decides from and asks it: the partitions the
 * group will read on `to` (the checkpointed topics, the topics it has commits for there and, on
 * failback, the originals of the copies it read on `from`) with their bounds, the group's progress
 * records there, and, when it read such copies, the forward flow's offset syncs. Then core makes
 * the plan exact where a progress record or a checkpoint's commit metadata names the group's last
 * record by fingerprint and that record is found on `to`. The rules are core's, shared with the
 * client; nothing here decides a position.
 */
export async function planPositions(
  access: ClusterAccess,
  options: { group: string; from: string; to: string; noPosition: 'earliest' | 'latest' },
  checkpoints: readonly GroupCheckpoint[],
  committedOnTarget: readonly CommittedOffset[],
  committedOnSource: readonly CommittedOffset[],
): Promise<PlannedPositions> {
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
  const progress = await readGroupProgress(access, options);
  const input: FailoverPlanInput = {
    from,
    to,
    policy,
    partitions,
    checkpoints: checkpoints.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.targetOffset,
      upstreamOffset: o.sourceOffset,
      metadata: o.metadata,
    })),
    progress: progress.records,
    committed: committedOnTarget,
    committedOnFrom: copiesOfTarget,
    offsetSyncs,
    noPosition: options.noPosition,
  };
  const conservative = planFailover(input);
  // Read failures inside the scan come back as fingerprint-unmatched problems on a conservative
  // position; only a failure to reach `to` at all ends up here.
  const plan = await access.call(to, "looking for the group's last records", () =>
    refineByFingerprint(access.kafka(to), conservative, input, { timeoutMs: access.timeoutMs * 3 }),
  );
  return { ...plan, progress: progress.read };
}
