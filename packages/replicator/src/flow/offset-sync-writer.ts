import type { OffsetSync } from '@mirrorkit/core';

/** Offset-sync requests in flight at most, as MM2's OffsetSyncWriter allows. */
export const MAX_OUTSTANDING_OFFSET_SYNC_SENDS = 10;
/**
 * Syncs waiting per partition while sends are outstanding (a fetched backlog brings one per
 * offset.lag.max records at once). Past it the second oldest goes: the oldest anchors translation
 * of the oldest offsets, the newest are the finest; what goes only makes translation coarser.
 */
export const MAX_PENDING_SYNCS_PER_PARTITION = 256;

/**
 * When to emit an offset sync for one source partition, by the rule MM2's source task follows
 * (since Kafka 3.5): on the first record this run, when the last sync is `offsetLagMax` or more
 * records behind, when upstream offsets jump (compaction, transaction markers, a skipped record),
 * and when the downstream offset goes backwards (the remote topic was truncated or recreated).
 */
export class PartitionSyncState {
  #lastSyncDownstream = -1n;
  #previousUpstream = -1n;
  #previousDownstream = -1n;

  constructor(readonly offsetLagMax: bigint) {}

  /** Records that `upstream` was written at `downstream`; true when a sync should be emitted. */
  update(upstream: bigint, downstream: bigint): boolean {
    const first = this.#lastSyncDownstream === -1n;
    // A consumer translating through the last sync resumes one past it, hence the + 1.
    const stale = downstream - (this.#lastSyncDownstream + 1n) >= this.offsetLagMax;
    const skipped = upstream - this.#previousUpstream !== 1n;
    const truncated = downstream < this.#previousDownstream;
    this.#previousUpstream = upstream;
    this.#previousDownstream = downstream;
    if (first || stale || skipped || truncated) {
      this.#lastSyncDownstream = downstream;
      return true;
    }
    return false;
  }
}

/** What {@link OffsetSyncWriter} needs around it. */
export interface OffsetSyncWriterOptions {
  readonly offsetLagMax: number;
  /** Writes syncs to partition 0 of the offset-syncs topic (acks all). */
  readonly send: (syncs: readonly OffsetSync[]) => Promise<void>;
  /** Syncs the topic acknowledged, in the order they were queued. */
  readonly onWritten: (syncs: readonly OffsetSync[]) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * Writes offset syncs the way MM2's OffsetSyncWriter does: off the copy path (queueing never waits
 * and never fails), with a bounded number of sends outstanding; a sync that is not due yet is
 * delayed and promoted later, so an idle partition's last position is synced too. Unlike MM2 the
 * syncs waiting for a free send are kept (up to {@link MAX_PENDING_SYNCS_PER_PARTITION} per
 * partition) rather than only the newest, and go out together in one request: one request per
 * queued sync would cost a round trip each, and keeping only the newest would leave a backlog
 * copied in one batch with a single sync. A failed send is
 * reported and dropped: it only makes translation coarser until the next sync, and never makes the
 * copy loop copy a batch again.
 */
export class OffsetSyncWriter {
  readonly #o: OffsetSyncWriterOptions;
  readonly #states = new Map<string, PartitionSyncState>();
  readonly #pending = new Map<string, OffsetSync[]>();
  readonly #delayed = new Map<string, OffsetSync>();
  readonly #inFlight = new Set<Promise<void>>();
  #dropped = 0;

  constructor(options: OffsetSyncWriterOptions) {
    this.#o = options;
  }

  /** Sends in flight now. */
  get outstanding(): number {
    return this.#inFlight.size;
  }

  /** Syncs waiting for a free send. */
  get pending(): number {
    let n = 0;
    for (const list of this.#pending.values()) n += list.length;
    return n;
  }

  /** Syncs dropped because too many waited for one partition (each made translation coarser). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes in that source `upstream` was copied to `downstream`; queues a sync when one is due. */
  queue(topic: string, partition: number, upstream: bigint, downstream: bigint): void {
    const key = `${topic}\u0000${partition}`;
    let state = this.#states.get(key);
    if (!state) {
      state = new PartitionSyncState(BigInt(this.#o.offsetLagMax));
      this.#states.set(key, state);
    }
    const sync: OffsetSync = { topic, partition, upstreamOffset: upstream, downstreamOffset: downstream };
    if (state.update(upstream, downstream)) {
      this.#delayed.delete(key);
      const list = this.#pending.get(key) ?? [];
      list.push(sync);
      if (list.length > MAX_PENDING_SYNCS_PER_PARTITION) {
        list.splice(1, 1);
        this.#dropped++;
      }
      this.#pending.set(key, list);
    } else {
      this.#delayed.set(key, sync);
    }
  }

  /** Makes every delayed sync (each partition's latest copy that was not synced) due. */
  promoteDelayed(): void {
    for (const [key, sync] of this.#delayed) {
      const list = this.#pending.get(key) ?? [];
      list.push(sync);
      this.#pending.set(key, list);
    }
    this.#delayed.clear();
  }

  /** Sends what is due, if a send is free; returns at once. */
  fire(): void {
    if (this.#pending.size === 0 || this.#inFlight.size >= MAX_OUTSTANDING_OFFSET_SYNC_SENDS) return;
    const syncs = [...this.#pending.values()].flat();
    this.#pending.clear();
    const send: Promise<void> = this.#o
      .send(syncs)
      .then(
        () => this.#o.onWritten(syncs),
        (error: unknown) => this.#o.onError(error),
      )
      .finally(() => {
        this.#inFlight.delete(send);
        this.fire();
      });
    this.#inFlight.add(send);
  }

  /** Sends the delayed syncs and waits (up to `timeoutMs`) for every send, for a clean stop. */
  async flush(timeoutMs: number): Promise<void> {
    this.promoteDelayed();
    this.fire();
    const deadline = Date.now() + timeoutMs;
    while ((this.#inFlight.size > 0 || this.#pending.size > 0) && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ...this.#inFlight,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      this.fire();
    }
  }
}
