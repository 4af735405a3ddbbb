import { GROUP_ASSIGNMENT_NEED, type GroupAssignmentNeed, type ReplicationPolicy } from '@mirrorkit/core';
import kafkajs, { type Consumer, type PartitionAssigner } from 'kafkajs';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { CO_PARTITIONED_PROTOCOL, CoPartitioning, coPartitioningOf } from './co-partitioned-assigner.js';

// kafkajs is CommonJS; Node's ESM loader cannot see PartitionAssigners as a named export.
const { PartitionAssigners } = kafkajs;

/**
 * What a dedup handler asks of MirrorKit's consumer: co-partitioned assignment (without it, the
 * two copies of a key sent to both regions are handled by two members of a group, each once) and
 * that a store partitioned like the data follows the group's joins. `given`: the user's own
 * {@link CoPartitioning}, for its events; otherwise one is made with the consumer's policy.
 */
export function coPartitionedNeed(
  given: CoPartitioning | undefined,
  store: SeenKeyStore | undefined,
): GroupAssignmentNeed {
  let co = given;
  return {
    protocol: CO_PARTITIONED_PROTOCOL,
    assigners(policy: ReplicationPolicy, configured: readonly PartitionAssigner[] | undefined) {
      const others = configured ?? [PartitionAssigners.roundRobin];
      // A user who put a co-partitioned assigner among kafkajs's options keeps it (and its events).
      const theirs = others.map((assigner) => coPartitioningOf(assigner)).find((c) => c !== undefined);
      if (theirs !== undefined) {
        co = theirs;
        return [...others];
      }
      co ??= new CoPartitioning({ replicationPolicy: policy });
      return [co.partitionAssigner, ...others];
    },
    follow(consumer: Consumer, cluster: string) {
      co ??= new CoPartitioning();
      co.follow(consumer);
      store?.follow?.(consumer, cluster);
    },
  };
}

/** `handler` marked with `need`, for MirrorKit's consumer to read. */
export function withAssignmentNeed<H extends object>(handler: H, need: GroupAssignmentNeed): H {
  Object.defineProperty(handler, GROUP_ASSIGNMENT_NEED, { value: need, enumerable: false });
  return handler;
}
