import { createTopicsAndWait, readTopicToEnd } from '@mirrorkit/core';
import { EventEmitter } from 'eventemitter3';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { CoPartitioning, partitionNumbers } from '../assignment/co-partitioned-assigner.js';
import type { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import { encodeSeenAt } from './seen-key-codec.js';
import { readStoreCopy, restoreSeenKeys } from './seen-key-restore.js';
import type { KafkaSeenKeyStoreOptions, SeenKeyRestore, SeenKeyStore } from './seen-key-store.js';

/** Options of {@link PartitionedSeenKeyStore}. */
export interface PartitionedSeenKeyStoreOptions extends KafkaSeenKeyStoreOptions {
  /**
   * Partitions the store topic has at least: the largest partition count of the subscribed
   * topics. Created so, or grown to it. More are added when a record of a higher partition
   * number comes (a subscribed topic grew). Default 1.
   */
  partitions?: number;
}

function restoredKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** A partition's restore under way. */
interface Restoring {
  promise: Promise<void>;
  readonly startedAt: number;
  /** When the first record of the partition began to wait for it. */
  waitedFrom: number | undefined;
}

/** Events of {@link PartitionedSeenKeyStore}. */
export interface PartitionedSeenKeyStoreEvents {
  /**
   * A newly owned partition's keys were restored. `durationMs`: from the start of its restore;
   * `waitedMs`: how long the first record of it waited (0 when the restore, begun at the join, was
   * done before the first record came): the hand-over time.
   */
  restored: [
    info: SeenKeyRestore & {
      readonly partition: number;
      readonly durationMs: number;
      readonly waitedMs: number;
    },
  ];
  /** Partitions no longer owned after a join (known with a kafkajs consumer followed). */
  revoked: [info: { readonly partitions: readonly number[] }];
}

/**
 * A seen-key store partitioned like the data, for a consumer group of many instances with
 * {@link CoPartitioning}: a key read from partition p (of `orders` or of any copy, such as
 * `us-west.orders`) is written to partition p of the compacted store topic, and an instance
 * restores only the store partitions it owns — its share of the keys, not all of them.
 *
 * The hand-over rule is the one Kafka Streams applies to changelogs: no record of a newly owned
 * partition reaches the handler before that partition's keys are restored, to the end offsets of
 * when the restore began. At every join of the member ({@link follow}: the kafkajs consumer, or
 * its {@link CoPartitioning}), every partition must be restored again — another member may have
 * owned it meanwhile — which for a partition restored before reads only what was written since;
 * {@link dedup} and {@link dedupBatch} wait for a partition's restore before its first record
 * (`preparePartition`). Without `follow`, a partition is restored once and never again: fine for a
 * single instance only. Keys are written before their record's offset can be
 * committed, and kafkajs finishes the records in hand before a member rejoins, so the restore of
 * the next owner sees every key its previous owner handled — except a previous owner still writing
 * when it was already out of the group (a process paused past its session timeout).
 *
 * Keys of a revoked partition stay in the seen-set (a {@link Deduplicator} cannot forget by
 * partition): they are true keys, so nothing is wrongly skipped, and they age out with its
 * generations.
 *
 * With MirrorKit's consumer none of the wiring of the example is needed: a {@link dedup} handler
 * asks that consumer for co-partitioned assignment, and has this store follow its joins. On a DR
 * cluster, `copies` lists the copy MM2 makes of another cluster's store (partition p of it holds
 * the keys of partition p: MM2 keeps partition numbers), restored with this store's own.
 *
 * @example
 * ```ts
 * const co = new CoPartitioning();
 * const consumer = kafka.consumer({ groupId: 'billing', partitionAssigners: [co.partitionAssigner] });
 * co.follow(consumer);
 * const store = new PartitionedSeenKeyStore(kafka, { topic: 'billing.mirrorkit-seen', partitions: 12 });
 * await store.open(seen);
 * store.follow(consumer);
 * await consumer.run({ eachMessage: dedup(handle, { deduplicator: seen, store }) });
 * ```
 */
export class PartitionedSeenKeyStore implements SeenKeyStore {
  readonly events = new EventEmitter<PartitionedSeenKeyStoreEvents>();
  readonly #kafka: Kafka;
  readonly #options: PartitionedSeenKeyStoreOptions;
  #producer: Producer | null = null;
  #deduplicator: Deduplicator | null = null;
  #partitions = 0;
  #growing: Promise<void> | null = null;
  // Partitions whose keys are in the seen-set; restores under way (dropped on revocation, so a
  // restore that ends after its partition was revoked does not mark it ready).
  readonly #ready = new Set<number>();
  readonly #restoring = new Map<number, Restoring>();
  // Per topic (the store's, its copies) and partition, the offset its keys are restored up to
  // (into the seen-set, which keeps them).
  readonly #restoredTo = new Map<string, bigint>();

  constructor(kafka: Kafka, options: PartitionedSeenKeyStoreOptions) {
    this.#kafka = kafka;
    this.#options = options;
  }

  /**
   * Creates the topic (or grows it to `partitions`) and connects the writer. Restores nothing:
   * partitions are restored as they are assigned. (The shape of `KafkaSeenKeyStore.open`, so a
   * {@link SeenKeyStores} can hold one.)
   */
  async open(deduplicator: Deduplicator): Promise<SeenKeyRestore> {
    // What was restored is in the seen-set it was restored into only.
    if (deduplicator !== this.#deduplicator) this.assign(undefined);
    this.#restoredTo.clear();
    this.#deduplicator = deduplicator;
    await this.#ensurePartitions(Math.max(1, this.#options.partitions ?? 1));
    const producer = this.#kafka.producer({ idempotent: true });
    await producer.connect();
    this.#producer = producer;
    return { restored: 0, ignored: 0, corrupt: 0 };
  }

  /**
   * Follows the group's joins (with the seen-set given to {@link open}). With the kafkajs
   * `consumer`: at each join, begins restoring the partitions now owned. With the consumer's
   * {@link CoPartitioning}: at each join, partitions are restored as their first records come.
   * MirrorKit's consumer calls this itself (through the dedup handler) for each kafkajs consumer it
   * runs. Returns the unsubscribe.
   */
  follow(source: Consumer | CoPartitioning): () => void {
    if (source instanceof CoPartitioning) {
      const joining = () => this.assign(undefined);
      source.events.on('joining', joining);
      return () => void source.events.off('joining', joining);
    }
    return source.on(source.events.GROUP_JOIN, ({ payload }) => {
      this.assign(partitionNumbers(payload.memberAssignment));
    });
  }

  /**
   * The member joined the group again and owns partition numbers `partitions` (undefined: not
   * known yet). Every partition must then be restored again before its next record: between two
   * joins of this member another may have owned it (this one out of the group for a while). A
   * partition restored before reads only what was written since (its restored offset is kept), so
   * a partition the member kept costs one short read. `follow` calls this.
   */
  assign(partitions: readonly number[] | undefined): void {
    const before = new Set([...this.#ready, ...this.#restoring.keys()]);
    this.#ready.clear();
    // A restore under way took its end offsets before this join: it may miss keys the previous
    // owner wrote just before; its records (of the old generation) still get it, new ones wait
    // for a new one.
    this.#restoring.clear();
    if (partitions === undefined) return;
    const owned = new Set(partitions);
    const revoked = [...before].filter((p) => !owned.has(p)).sort((x, y) => x - y);
    if (revoked.length > 0) this.events.emit('revoked', { partitions: revoked });
    const deduplicator = this.#deduplicator;
    if (deduplicator === null) return;
    // Restore failures here are not lost: the first record of the partition waits for the same
    // restore, and fails with its error (then tries again).
    for (const p of owned) this.#begin(p, deduplicator).promise.catch(() => undefined);
  }

  preparePartition(
    _cluster: string | undefined,
    partition: number,
    deduplicator: Deduplicator,
  ): Promise<void> | undefined {
    if (this.#ready.has(partition)) return undefined;
    const entry = this.#restoring.get(partition) ?? this.#begin(partition, deduplicator);
    // A record waits from here: the hand-over time `restored` reports.
    entry.waitedFrom ??= Date.now();
    return entry.promise;
  }

  #begin(partition: number, deduplicator: Deduplicator): Restoring {
    const entry: Restoring = { promise: Promise.resolve(), startedAt: Date.now(), waitedFrom: undefined };
    entry.promise = this.#restore(partition, deduplicator).then(
      (restore) => {
        if (this.#restoring.get(partition) !== entry) return;
        this.#restoring.delete(partition);
        this.#ready.add(partition);
        const now = Date.now();
        this.events.emit('restored', {
          partition,
          ...restore,
          durationMs: now - entry.startedAt,
          waitedMs: entry.waitedFrom === undefined ? 0 : now - entry.waitedFrom,
        });
      },
      (error: unknown) => {
        if (this.#restoring.get(partition) === entry) this.#restoring.delete(partition);
        throw error;
      },
    );
    this.#restoring.set(partition, entry);
    return entry;
  }

  /** The store topic. */
  get topic(): string {
    return this.#options.topic;
  }

  /**
   * Makes sure store partition `partition` exists (growing the topic), for a writer other than
   * {@link remember}: {@link dedupExactlyOnce} writes keys inside its transactions.
   */
  reservePartition(partition: number): Promise<void> {
    return partition < this.#partitions ? Promise.resolve() : this.#ensurePartitions(partition + 1);
  }

  /** Whether `partition`'s keys are restored (for tests and health checks). */
  isReady(partition: number): boolean {
    return this.#ready.has(partition);
  }

  /** Persists `key` in store partition `partition` (acknowledged by all in-sync replicas). */
  async remember(key: string, _cluster?: string, partition?: number): Promise<void> {
    if (!this.#producer)
      throw new MirrorKitSeenKeyStoreError(`open() the store for ${this.#options.topic} before use`);
    if (partition === undefined || !Number.isInteger(partition) || partition < 0)
      throw new MirrorKitSeenKeyStoreError(
        `${this.#options.topic} is partitioned like the data: remember() needs the record's partition`,
        'SEEN_KEY_STORE_NO_PARTITION',
      );
    if (partition >= this.#partitions) await this.#ensurePartitions(partition + 1);
    await this.#producer.send({
      topic: this.#options.topic,
      acks: -1,
      messages: [{ key, value: encodeSeenAt((this.#options.now ?? Date.now)()), partition }],
    });
  }

  async close(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = null;
    this.#ready.clear();
    this.#restoring.clear();
    this.#restoredTo.clear();
  }

  async #restore(partition: number, deduplicator: Deduplicator): Promise<SeenKeyRestore> {
    if (partition >= this.#partitions) await this.#ensurePartitions(partition + 1);
    // Partition p of a copy holds the keys of partition p: MM2 keeps partition numbers.
    const topics = [this.#options.topic, ...(this.#options.copies ?? [])];
    const read = async (topic: string, own: boolean) => {
      const from = this.#restoredTo.get(restoredKey(topic, partition));
      const options = {
        partitions: [partition],
        timeoutMs: this.#options.openTimeoutMs ?? 60_000,
        ...(from === undefined ? {} : { startOffsets: new Map([[partition, from]]) }),
      };
      const records = own
        ? await readTopicToEnd(this.#kafka, topic, options)
        : await readStoreCopy(this.#kafka, topic, options);
      const last = records.at(-1);
      if (last !== undefined && last.offset + 1n > (from ?? 0n))
        this.#restoredTo.set(restoredKey(topic, partition), last.offset + 1n);
      return records;
    };
    const records = await Promise.all(topics.map((topic, i) => read(topic, i === 0)));
    return restoreSeenKeys(records.flat(), deduplicator);
  }

  /** Creates the topic with `count` partitions, or grows it to `count` (one grow at a time). */
  #ensurePartitions(count: number): Promise<void> {
    if (count <= this.#partitions) return Promise.resolve();
    const after = this.#growing ?? Promise.resolve();
    const growing = after
      .catch(() => undefined)
      .then(async () => {
        if (count <= this.#partitions) return;
        const admin = this.#kafka.admin();
        await admin.connect();
        try {
          this.#partitions = await this.#grow(admin, count);
        } finally {
          await admin.disconnect();
        }
      });
    this.#growing = growing;
    return growing;
  }

  async #grow(admin: Admin, count: number): Promise<number> {
    const topic = this.#options.topic;
    if (!(await admin.listTopics()).includes(topic)) {
      await createTopicsAndWait(admin, {
        topics: [
          {
            topic,
            numPartitions: count,
            ...(this.#options.replicationFactor !== undefined
              ? { replicationFactor: this.#options.replicationFactor }
              : {}),
            configEntries: [
              { name: 'cleanup.policy', value: 'compact,delete' },
              { name: 'retention.ms', value: String(this.#options.retentionMs ?? 7 * 24 * 3600_000) },
            ],
          },
        ],
      });
      return count;
    }
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const current = meta?.partitions.length ?? 0;
    if (current >= count) return current;
    try {
      await admin.createPartitions({ topicPartitions: [{ topic, count }] });
    } catch (error) {
      // Another instance grew it first.
      if ((error as { type?: unknown }).type !== 'INVALID_PARTITIONS') throw error;
    }
    // Until every partition has a leader, writes to the new ones fail (and are retried by dedup).
    for (let deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const [now] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      if ((now?.partitions ?? []).filter((p) => p.leader >= 0).length >= count) return count;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    return count;
  }
}
