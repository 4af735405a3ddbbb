import type { Admin, Kafka } from 'kafkajs';
import { MirrorKitError } from './errors.js';
import { clusterOf } from './kafkajs-cluster.js';

/** Codes of {@link GroupOffsetsError}. */
export type GroupOffsetsErrorCode = 'GROUP_NOT_EMPTY' | 'GROUP_COMMIT_FAILED' | 'GROUP_UNSUPPORTED_CLIENT';

/** A commit of offsets for a group that was refused or failed; names the group and why. */
export class GroupOffsetsError extends MirrorKitError {
  declare readonly code: GroupOffsetsErrorCode;
  constructor(code: GroupOffsetsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One offset to commit. */
export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly metadata?: string;
}

function typeOf(error: unknown): string | undefined {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Commits `offsets` for `groupId` in one OffsetCommit request with no member and generation -1,
 * the way Java's `AdminClient.alterConsumerGroupOffsets` does. The broker accepts that only while
 * the group has no active members, so a running group is never rewound: that case throws
 * {@link GroupOffsetsError} `GROUP_NOT_EMPTY`. Unlike kafkajs's `admin.setOffsets`, it never joins
 * the group. Retriable coordinator errors are retried with backoff for up to `timeoutMs` (15 s).
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  offsets: readonly GroupOffset[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, { partition: number; offset: string; metadata: string | null }[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: o.offset.toString(), metadata: o.metadata ?? null });
    byTopic.set(o.topic, list);
  }
  const cluster = clusterOf(kafka, (detail) => new GroupOffsetsError('GROUP_UNSUPPORTED_CLIENT', detail));
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  await cluster.connect();
  try {
    // A freshly connected kafkajs cluster knows only its seed broker, and its coordinator lookup
    // then sleeps a whole retry (~300 ms) before it fetches metadata: during a failover that was
    // most of the switch. Metadata first costs one round trip.
    await cluster.refreshMetadata();
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        await coordinator.offsetCommit({
          groupId,
          groupGenerationId: -1,
          memberId: '',
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        });
        return;
      } catch (error) {
        const type = typeOf(error);
        if (
          type === 'UNKNOWN_MEMBER_ID' ||
          type === 'ILLEGAL_GENERATION' ||
          type === 'REBALANCE_IN_PROGRESS'
        ) {
          throw new GroupOffsetsError(
            'GROUP_NOT_EMPTY',
            `group "${groupId}" has active members; its offsets were not changed`,
            {
              cause: error,
            },
          );
        }
        // A coordinator that is loading or moving answers again shortly (a cluster that has just
        // started, or just failed over, is exactly when this runs).
        const retriable = (error as { retriable?: unknown }).retriable === true;
        if (!retriable || Date.now() > deadline) {
          throw new GroupOffsetsError(
            'GROUP_COMMIT_FAILED',
            `committing offsets for group "${groupId}" failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
        await new Promise((resolveSleep) => setTimeout(resolveSleep, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

/**
 * Every offset `groupId` has committed (of `topics`, or all), without the partitions that have no
 * commit. A group new to a cluster may have no coordinator loaded yet (NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS), which kafkajs's admin does not retry: a few tries, as a consumer
 * would make. The admin learns the cluster's brokers first, for the reason given in
 * {@link commitGroupOffsets}.
 */
export async function fetchCommittedOffsets(
  admin: Admin,
  groupId: string,
  topics?: readonly string[],
): Promise<GroupOffset[]> {
  await admin.describeCluster();
  let fetched: Awaited<ReturnType<Admin['fetchOffsets']>>;
  for (let attempt = 1; ; attempt++) {
    try {
      fetched = await admin.fetchOffsets(topics ? { groupId, topics: [...topics] } : { groupId });
      break;
    } catch (error) {
      if (attempt >= 8 || (error as { retriable?: unknown }).retriable !== true) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100 * attempt));
    }
  }
  return fetched.flatMap(({ topic, partitions }) =>
    partitions
      .filter((p) => p.offset !== '-1' && p.offset !== '')
      .map((p) => ({
        topic,
        partition: p.partition,
        offset: BigInt(p.offset),
        ...(p.metadata ? { metadata: p.metadata } : {}),
      })),
  );
}
