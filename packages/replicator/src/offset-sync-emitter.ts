/**
 * When to emit an offset sync for one source partition, by the rule MM2's source task follows
 * (since Kafka 3.5): on the first record this run, when the last sync is `offsetLagMax` or more
 * records behind, when upstream offsets jump (compaction, transaction markers), and when the
 * downstream offset goes backwards (the remote topic was truncated or recreated).
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
