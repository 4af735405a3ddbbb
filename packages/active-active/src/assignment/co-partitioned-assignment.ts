import type { ReplicationPolicy } from '@mirrorkit/core';

/** A member of the group as the assignment sees it. */
export interface CoPartitionMember {
  readonly memberId: string;
  /** The partition numbers it owned in the generation before (stickiness); may be empty. */
  readonly owned: readonly number[];
}

/** A subscribed topic and its partition count. */
export interface CoPartitionTopic {
  readonly topic: string;
  readonly partitions: number;
}

/**
 * Copies of one logical topic (`orders`, `us-west.orders`, …) whose partition counts differ. A
 * key then meets its other copy only in the same partition number if both were written while the
 * topics had the same count (partition = hash(key) mod count): keys of partition numbers past the
 * smaller count, and keys written after one copy grew, may be handled by two members.
 */
export interface PartitionCountMismatch {
  /** The topic as first written (the replication policy's `originalTopic`). */
  readonly logicalTopic: string;
  /** Every copy subscribed, with its partition count. */
  readonly counts: Readonly<Record<string, number>>;
}

/** What {@link assignCoPartitioned} decided. */
export interface CoPartitionedAssignment {
  /** By member id: the partitions of each topic it gets (every member is present, maybe empty). */
  readonly assignment: ReadonlyMap<string, Readonly<Record<string, number[]>>>;
  /** By member id: the partition numbers (co-partition sets) it gets, ascending. */
  readonly sets: ReadonlyMap<string, readonly number[]>;
  readonly mismatches: readonly PartitionCountMismatch[];
}

/**
 * Assigns by partition number, as Kafka Streams co-partitions: partition p of every subscribed
 * topic (a local topic and all its remote copies) goes to one member, so both copies of a key
 * written to two regions meet in one process. The sets 0..max-1 (max: the largest partition count)
 * are spread so members' set counts differ by at most one; members are taken in id order, so the
 * result depends only on the input; a member keeps the sets it owned before as far as balance
 * allows (sticky), so a rebalance moves only the sets it must.
 */
export function assignCoPartitioned(
  members: readonly CoPartitionMember[],
  topics: readonly CoPartitionTopic[],
  policy: Pick<ReplicationPolicy, 'originalTopic'>,
): CoPartitionedAssignment {
  const sorted = [...members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
  const setCount = topics.reduce((max, t) => Math.max(max, t.partitions), 0);
  const owner = new Array<string | undefined>(setCount).fill(undefined);
  const sets = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));

  if (sorted.length > 0 && setCount > 0) {
    const base = Math.floor(setCount / sorted.length);
    const extra = setCount % sorted.length;
    // Each previously owned set is claimed by the first member (in id order) that names it: two
    // members naming one set (metadata from different generations) must not both keep it.
    const claims = new Map<string, number[]>();
    for (const m of sorted) {
      const mine: number[] = [];
      for (const p of [...new Set(m.owned)].sort((a, b) => a - b)) {
        if (Number.isInteger(p) && p >= 0 && p < setCount && owner[p] === undefined) {
          owner[p] = m.memberId;
          mine.push(p);
        }
      }
      claims.set(m.memberId, mine);
    }
    owner.fill(undefined);
    // The members that keep the most get the `extra` larger quotas: fewer sets move.
    const byClaims = [...sorted].sort(
      (a, b) => (claims.get(b.memberId)?.length ?? 0) - (claims.get(a.memberId)?.length ?? 0),
    );
    const quota = new Map<string, number>(byClaims.map((m, i) => [m.memberId, base + (i < extra ? 1 : 0)]));
    for (const m of sorted) {
      const keep = (claims.get(m.memberId) ?? []).slice(0, quota.get(m.memberId) ?? 0);
      for (const p of keep) owner[p] = m.memberId;
      sets.set(m.memberId, keep);
    }
    let next = 0;
    for (const m of sorted) {
      const mine = sets.get(m.memberId) as number[];
      const want = quota.get(m.memberId) ?? 0;
      while (mine.length < want) {
        while (owner[next] !== undefined) next++;
        owner[next] = m.memberId;
        mine.push(next);
      }
      mine.sort((a, b) => a - b);
    }
  }

  const assignment = new Map<string, Record<string, number[]>>();
  for (const m of sorted) {
    const byTopic: Record<string, number[]> = {};
    for (const p of sets.get(m.memberId) ?? []) {
      for (const t of topics) {
        if (p >= t.partitions) continue;
        const list = byTopic[t.topic] ?? [];
        list.push(p);
        byTopic[t.topic] = list;
      }
    }
    assignment.set(m.memberId, byTopic);
  }
  return { assignment, sets, mismatches: partitionCountMismatches(topics, policy) };
}

/** Copies of one logical topic whose partition counts differ (see {@link PartitionCountMismatch}). */
export function partitionCountMismatches(
  topics: readonly CoPartitionTopic[],
  policy: Pick<ReplicationPolicy, 'originalTopic'>,
): PartitionCountMismatch[] {
  const byLogical = new Map<string, Record<string, number>>();
  for (const t of topics) {
    const logical = policy.originalTopic(t.topic);
    const counts = byLogical.get(logical) ?? {};
    counts[t.topic] = t.partitions;
    byLogical.set(logical, counts);
  }
  const mismatches: PartitionCountMismatch[] = [];
  for (const [logicalTopic, counts] of [...byLogical].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (new Set(Object.values(counts)).size > 1) mismatches.push({ logicalTopic, counts });
  }
  return mismatches;
}
