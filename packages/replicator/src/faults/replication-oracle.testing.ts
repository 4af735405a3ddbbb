import { readTopicToEnd } from '@mirrorkit/core';
import type { Kafka } from 'kafkajs';

/** How a remote partition differs from its source partition, record by record. */
export interface PartitionVerdict {
  readonly partition: number;
  /** Ids on the source that the target does not hold. */
  readonly lost: number;
  /** Copies beyond the first of an id on the target. */
  readonly duplicated: number;
  /** First copies that came after the first copy of an id that follows them on the source. */
  readonly reordered: number;
  /** Records on the target whose id the source partition never held (wrong partition, invented). */
  readonly extra: number;
}

/** {@link compareReplication}'s answer: totals, per partition, and a few examples of each kind. */
export interface ReplicationVerdict {
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly extra: number;
  readonly partitions: readonly PartitionVerdict[];
  readonly examples: {
    readonly lost: readonly string[];
    readonly duplicated: readonly string[];
    readonly reordered: readonly string[];
    readonly extra: readonly string[];
  };
}

const EXAMPLES = 5;

/**
 * Compares per partition the ids on the source (in offset order) with the ids on the target (in
 * offset order). Ids must be unique on the source; a test producer writes `p<partition>-<n>`.
 * Order is judged on first copies only, so an at-least-once re-copy (…5 6 7 5 6 7 8…) counts as
 * duplicates, not as reordering.
 */
export function compareReplication(
  source: ReadonlyMap<number, readonly string[]>,
  target: ReadonlyMap<number, readonly string[]>,
): ReplicationVerdict {
  const examples = {
    lost: [] as string[],
    duplicated: [] as string[],
    reordered: [] as string[],
    extra: [] as string[],
  };
  const note = (kind: keyof typeof examples, id: string): void => {
    if (examples[kind].length < EXAMPLES) examples[kind].push(id);
  };
  const partitions: PartitionVerdict[] = [];
  const all = [...new Set([...source.keys(), ...target.keys()])].sort((x, y) => x - y);
  for (const partition of all) {
    const ids = source.get(partition) ?? [];
    const copies = target.get(partition) ?? [];
    const rank = new Map<string, number>();
    ids.forEach((id, i) => {
      if (rank.has(id)) throw new Error(`id ${id} occurs twice on source partition ${partition}`);
      rank.set(id, i);
    });
    const seen = new Set<string>();
    let duplicated = 0;
    let reordered = 0;
    let extra = 0;
    let highest = -1;
    for (const id of copies) {
      const at = rank.get(id);
      if (at === undefined) {
        extra++;
        note('extra', `p${partition}:${id}`);
        continue;
      }
      if (seen.has(id)) {
        duplicated++;
        note('duplicated', `p${partition}:${id}`);
        continue;
      }
      seen.add(id);
      if (at < highest) {
        reordered++;
        note('reordered', `p${partition}:${id}`);
      } else highest = at;
    }
    let lost = 0;
    for (const id of ids)
      if (!seen.has(id)) {
        lost++;
        note('lost', `p${partition}:${id}`);
      }
    partitions.push({ partition, lost, duplicated, reordered, extra });
  }
  const sum = (kind: 'lost' | 'duplicated' | 'reordered' | 'extra'): number =>
    partitions.reduce((total, p) => total + p[kind], 0);
  return {
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    reordered: sum('reordered'),
    extra: sum('extra'),
    partitions,
    examples,
  };
}

/**
 * The ids of a topic per partition, in offset order, read from the cluster itself to the end
 * offsets at the time of the call, `read_committed` (aborted transactions are not seen; plain
 * records are). A record's id is its value as UTF-8; records without a value count as `<null>`.
 */
export async function readIds(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
): Promise<Map<number, string[]>> {
  const byPartition = new Map<number, string[]>();
  for (const record of await readTopicToEnd(kafka, topic, { timeoutMs })) {
    const ids = byPartition.get(record.partition) ?? [];
    ids.push(record.value?.toString('utf8') ?? '<null>');
    byPartition.set(record.partition, ids);
  }
  return byPartition;
}

/** Reads a source topic and its remote copy on the target and compares them. */
export async function checkReplication(
  source: { kafka: Kafka; topic: string },
  target: { kafka: Kafka; topic: string },
  timeoutMs = 30_000,
): Promise<ReplicationVerdict> {
  // The source first: every id the target can hold was on the source before.
  const sourceIds = await readIds(source.kafka, source.topic, timeoutMs);
  const targetIds = await readIds(target.kafka, target.topic, timeoutMs);
  return compareReplication(sourceIds, targetIds);
}

/** One line for a test log: totals and examples. */
export function describeVerdict(verdict: ReplicationVerdict): string {
  const { lost, duplicated, reordered, extra, examples } = verdict;
  return `lost=${lost} duplicated=${duplicated} reordered=${reordered} extra=${extra} examples=${JSON.stringify(examples)}`;
}
