import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';

/**
 * Exactly-once copying (MM2's `exactly.once.source.support = enabled`): each batch is written in
 * a transaction that also commits the next source offset on the target, under group
 * `<groupId>.eos`, with one transactional id per source partition, so whoever owns a partition now
 * fences every earlier owner, and a transaction a dead owner left open is aborted when the new
 * owner initialises the id.
 */
export class ExactlyOnceWriter {
  readonly #target: Kafka;
  readonly #targetAdmin: Admin;
  readonly #groupId: string;
  readonly #producers = new Map<string, Producer>();
  readonly #positions = new Map<string, bigint>();
  #reset: Promise<void> = Promise.resolve();

  constructor(target: Kafka, targetAdmin: Admin, groupId: string) {
    this.#target = target;
    this.#targetAdmin = targetAdmin;
    this.#groupId = groupId;
  }

  /** The group on the target that holds the copied positions. */
  get group(): string {
    return `${this.#groupId}.eos`;
  }

  /**
   * After a rebalance: positions are read again from the target (another process may have moved
   * them), and cached producers, which another owner may have fenced meanwhile, start afresh.
   */
  reset(): void {
    this.#positions.clear();
    const stale = [...this.#producers.values()];
    this.#producers.clear();
    this.#reset = Promise.all(stale.map((p) => p.disconnect().catch(() => undefined))).then(() => undefined);
  }

  /** Forgets the positions only (a restarted copy loop re-reads them). */
  forgetPositions(): void {
    this.#positions.clear();
  }

  /**
   * The transactional producer of source partition `key`; creating it initialises the id, which
   * fences whoever wrote the partition before and aborts what they left open.
   */
  async fence(key: string): Promise<Producer> {
    await this.#reset;
    let producer = this.#producers.get(key);
    if (!producer) {
      producer = this.#target.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId: `${this.#groupId}.${key.replace('\u0000', '.')}`,
      });
      await producer.connect();
      this.#producers.set(key, producer);
    }
    return producer;
  }

  /** The next source offset to copy for a partition, as committed on the target. */
  async position(remote: string, partition: number, key: string): Promise<bigint> {
    const known = this.#positions.get(key);
    if (known !== undefined) return known;
    const [offsets] = await this.#targetAdmin.fetchOffsets({ groupId: this.group, topics: [remote] });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    const position = BigInt(committed) < 0n ? 0n : BigInt(committed);
    this.#positions.set(key, position);
    return position;
  }

  /** Commits `txn` with the next source offset `next` of `remote`'s `partition`. */
  async commit(
    txn: Transaction,
    remote: string,
    partition: number,
    key: string,
    next: bigint,
  ): Promise<void> {
    await txn.sendOffsets({
      consumerGroupId: this.group,
      topics: [{ topic: remote, partitions: [{ partition, offset: next.toString() }] }],
    });
    await txn.commit();
    this.#positions.set(key, next);
  }

  /** After a failure (or being fenced) starts clean: a new producer and the position re-read. */
  async abort(txn: Transaction, key: string): Promise<void> {
    await txn.abort().catch(() => undefined);
    this.#positions.delete(key);
    const producer = this.#producers.get(key);
    this.#producers.delete(key);
    await producer?.disconnect().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#producers.values()].map((p) => p.disconnect().catch(() => undefined)));
    this.#producers.clear();
  }
}
