import { type Checkpoint, commitGroupOffsets } from '@mirrorkit/core';
import type { Admin, Kafka } from 'kafkajs';

/**
 * MM2's sync.group.offsets: commits the translated offsets of `checkpoints` for their groups on the
 * target, only while a group has no active members there and only forwards. A group whose commit
 * fails is reported through `onError` and the others go on.
 */
export async function syncGroupOffsets(
  target: Kafka,
  targetAdmin: Admin,
  checkpoints: readonly Checkpoint[],
  onError: (error: unknown) => void,
): Promise<void> {
  const byGroup = new Map<string, Checkpoint[]>();
  for (const c of checkpoints) {
    const list = byGroup.get(c.consumerGroupId) ?? [];
    list.push(c);
    byGroup.set(c.consumerGroupId, list);
  }
  if (byGroup.size === 0) return;
  const described = await targetAdmin.describeGroups([...byGroup.keys()]);
  for (const group of described.groups) {
    if (group.members.length > 0) continue;
    const mine = byGroup.get(group.groupId) ?? [];
    const current = await targetAdmin.fetchOffsets({
      groupId: group.groupId,
      topics: [...new Set(mine.map((c) => c.topic))],
    });
    const have = new Map(
      current.flatMap((t) =>
        t.partitions.map((p) => [`${t.topic}\u0000${p.partition}`, BigInt(p.offset)] as const),
      ),
    );
    const forward = mine.filter(
      (c) => c.downstreamOffset > (have.get(`${c.topic}\u0000${c.partition}`) ?? -1n),
    );
    if (forward.length === 0) continue;
    await commitGroupOffsets(
      target,
      group.groupId,
      forward.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.downstreamOffset })),
    ).catch(onError);
  }
}
