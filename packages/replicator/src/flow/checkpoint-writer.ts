import { type Checkpoint, type FlowConfig, groupFilter } from '@mirrorkit/core';

/** Committed offsets of one group, as the source's admin client gives them. */
export type GroupOffsets = readonly {
  readonly topic: string;
  readonly partitions: readonly {
    readonly partition: number;
    readonly offset: string;
    readonly metadata: string | null;
  }[];
}[];

/** What {@link CheckpointWriter} reads and writes through. */
export interface CheckpointWriterOptions {
  readonly flow: FlowConfig;
  /** Groups this replicator runs on the source itself, never checkpointed. */
  readonly isOwnGroup: (groupId: string) => boolean;
  readonly listGroups: () => Promise<readonly string[]>;
  readonly fetchOffsets: (groupId: string, topics: readonly string[]) => Promise<GroupOffsets>;
  /**
   * The target offset a group resumes at for source `upstream`: exact where this process copied
   * the stretch, else through the offset syncs; null when nothing translates it.
   */
  readonly translate: (
    key: string,
    topic: string,
    partition: number,
    upstream: bigint,
  ) => { readonly downstream: bigint; readonly exact: boolean } | null;
  /** Bumped when a remote partition's copy history started afresh. */
  readonly generation: (key: string) => number;
  /** Writes checkpoints to partition 0 of the checkpoints topic, acks all; rejects on failure. */
  readonly send: (checkpoints: readonly Checkpoint[]) => Promise<void>;
}

interface Emitted {
  readonly upstream: bigint;
  readonly downstream: bigint;
  readonly generation: number;
}

/**
 * MM2's checkpoint task for the partitions this process owns: a checkpoint per group and remote
 * partition when it changes. What was emitted is remembered only once the target acknowledged it,
 * so a failed send is retried on the next round instead of leaving an idle group with an old
 * checkpoint, or none.
 */
export class CheckpointWriter {
  readonly #o: CheckpointWriterOptions;
  readonly #emitted = new Map<string, Emitted>();
  /** The newest checkpoint per group and remote partition, for group offset sync. */
  readonly #latest = new Map<string, Checkpoint>();

  constructor(options: CheckpointWriterOptions) {
    this.#o = options;
  }

  /** The newest checkpoint of every group and remote partition seen. */
  get latest(): readonly Checkpoint[] {
    return [...this.#latest.values()];
  }

  /** One round over the groups of `topics`' `owned` partitions; returns what was written. */
  async emit(
    owned: ReadonlySet<string>,
    topics: readonly string[],
  ): Promise<{ readonly written: number; readonly exact: number }> {
    const { flow } = this.#o;
    if (topics.length === 0 || owned.size === 0) return { written: 0, exact: 0 };
    const accepts = groupFilter(flow);
    const groups = (await this.#o.listGroups()).filter((g) => accepts(g) && !this.#o.isOwnGroup(g));
    const checkpoints: Checkpoint[] = [];
    const emitted: [string, Emitted, Checkpoint][] = [];
    let exact = 0;
    for (const groupId of groups) {
      for (const { topic, partitions } of await this.#o.fetchOffsets(groupId, topics)) {
        for (const { partition, offset, metadata } of partitions) {
          const key = `${topic}\u0000${partition}`;
          if (Number(offset) < 0 || !owned.has(key)) continue;
          const upstream = BigInt(offset);
          const translated = this.#o.translate(key, topic, partition, upstream);
          if (translated === null) continue;
          const { downstream } = translated;
          const remote = flow.policy.formatRemoteTopic(flow.source, topic);
          const memo = `${groupId}\u0000${remote}\u0000${partition}`;
          // Emit when the checkpoint changes: a new group position, or a finer translation of the
          // same one once replication has caught up with it. Not a coarser one for a group that
          // stayed put (MM2 since 3.5 does not move such a checkpoint back either): the copies the
          // finer one points at are still there once their range is evicted, unless the remote
          // partition started afresh since.
          const last = this.#emitted.get(memo);
          const generation = this.#o.generation(key);
          if (
            last?.upstream === upstream &&
            (downstream === last.downstream ||
              (downstream < last.downstream && generation === last.generation))
          )
            continue;
          const checkpoint: Checkpoint = {
            consumerGroupId: groupId,
            topic: remote,
            partition,
            upstreamOffset: upstream,
            downstreamOffset: downstream,
            metadata: metadata ?? '',
          };
          if (translated.exact) exact++;
          checkpoints.push(checkpoint);
          emitted.push([memo, { upstream, downstream, generation }, checkpoint]);
        }
      }
    }
    if (checkpoints.length === 0) return { written: 0, exact: 0 };
    await this.#o.send(checkpoints);
    for (const [memo, last, checkpoint] of emitted) {
      this.#emitted.set(memo, last);
      this.#latest.set(memo, checkpoint);
    }
    return { written: checkpoints.length, exact };
  }
}
