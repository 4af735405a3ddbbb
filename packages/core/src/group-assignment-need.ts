import type { Consumer, PartitionAssigner } from 'kafkajs';
import type { ReplicationPolicy } from './replication-policy.js';

/**
 * Where a `run` handler carries what it needs of its consumer group's assignment. A dedup handler
 * of `@mirrorkit/active-active` is correct across a group only if partition p of a topic and of
 * all its remote copies go to one member; MirrorKit's consumer reads this from the handler it is
 * given and builds its kafkajs consumers with that assigner, so nobody has to remember to.
 * (A symbol from the global registry: the handler and the consumer may load two copies of core.)
 */
export const GROUP_ASSIGNMENT_NEED: unique symbol = Symbol.for('mirrorkit.group-assignment-need') as never;

/** What a handler needs of its group's assignment. */
export interface GroupAssignmentNeed {
  /** The protocol name of the assigner: the group runs it only if every member offers it. */
  readonly protocol: string;
  /**
   * The partition assigners for a kafkajs consumer whose remote topics are named by `policy`, in
   * order of preference, given those the user configured (`given`; kafkajs's default when
   * undefined): the needed one first, the user's after it, so that a group whose members do not
   * all offer it yet (a rolling deploy) still runs, on the user's.
   */
  assigners(policy: ReplicationPolicy, given: readonly PartitionAssigner[] | undefined): PartitionAssigner[];
  /** Each kafkajs consumer the handler runs under, on cluster `cluster`, before it runs. */
  follow(consumer: Consumer, cluster: string): void;
}

/** The assignment need a handler carries, if any. */
export function groupAssignmentNeedOf(handler: unknown): GroupAssignmentNeed | undefined {
  if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null)) return undefined;
  const need = (handler as { [GROUP_ASSIGNMENT_NEED]?: unknown })[GROUP_ASSIGNMENT_NEED];
  return typeof need === 'object' && need !== null ? (need as GroupAssignmentNeed) : undefined;
}
