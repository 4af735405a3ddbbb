import { fetchCommittedOffsets, type GroupOffset } from '@mirrorkit/core';
import type { ClusterAccess } from './cluster-access.js';

/** A consumer group's state on one cluster. */
export interface GroupState {
  /** Kafka's group state (`Empty`, `Stable`, `PreparingRebalance`, `Dead`, …). */
  readonly state: string;
  readonly members: number;
}

/** True when the group has members that own its offsets (committing over them would rewind them). */
export function isActive(group: GroupState): boolean {
  return group.members > 0 || ['Stable', 'PreparingRebalance', 'CompletingRebalance'].includes(group.state);
}

/** Describes `group` on `alias`. */
export async function describeGroup(
  access: ClusterAccess,
  alias: string,
  group: string,
): Promise<GroupState> {
  return access.withAdmin(alias, `describing group ${group}`, async (admin) => {
    const described = (await admin.describeGroups([group])).groups[0];
    return { state: described?.state ?? 'Dead', members: described?.members.length ?? 0 };
  });
}

/** One committed offset of a group. */
export type CommittedOffset = GroupOffset;

/** Every offset `group` has committed on `alias` (partitions without a commit left out). */
export async function committedOffsets(
  access: ClusterAccess,
  alias: string,
  group: string,
  topics?: readonly string[],
): Promise<CommittedOffset[]> {
  return access.withAdmin(alias, `reading offsets of group ${group}`, (admin) =>
    fetchCommittedOffsets(admin, group, topics),
  );
}
